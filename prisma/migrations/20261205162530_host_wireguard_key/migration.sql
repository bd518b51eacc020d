-- AlterTable
ALTER TABLE "hosts" ADD COLUMN     "wireguard_public_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "hosts_wireguard_public_key_key" ON "hosts"("wireguard_public_key");

