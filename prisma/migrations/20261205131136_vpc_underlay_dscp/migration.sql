-- AlterTable
ALTER TABLE "vpcs" ADD COLUMN     "underlay_dscp" INTEGER NOT NULL DEFAULT 0;
