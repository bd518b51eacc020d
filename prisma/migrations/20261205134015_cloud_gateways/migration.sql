-- CreateEnum
CREATE TYPE "CloudInterconnect" AS ENUM ('routed', 'gateway');

-- AlterTable
ALTER TABLE "clouds" ADD COLUMN     "interconnect" "CloudInterconnect" NOT NULL DEFAULT 'routed';

-- AlterTable
ALTER TABLE "hosts" ADD COLUMN     "gateway_public_address" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "hosts_gateway_public_address_key" ON "hosts"("gateway_public_address");

