-- AlterTable
ALTER TABLE "operations" ADD COLUMN     "enqueued_at" TIMESTAMP(3);
