-- AlterTable
ALTER TABLE "operations" ADD COLUMN     "cancelled_by" TEXT,
ADD COLUMN     "prior_status" TEXT;

