-- AlterTable
ALTER TABLE "operations" ADD COLUMN     "wait_key" TEXT,
ADD COLUMN     "wait_since" TIMESTAMP(3);
