-- AlterTable
ALTER TABLE "host_credentials" ADD COLUMN     "pending_hash" TEXT,
ADD COLUMN     "rotation_requested_at" TIMESTAMP(3),
ADD COLUMN     "rotation_requested_by" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "host_credentials_pending_hash_key" ON "host_credentials"("pending_hash");

