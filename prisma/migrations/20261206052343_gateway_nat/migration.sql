-- CreateEnum
CREATE TYPE "GatewayNat" AS ENUM ('none', 'one-to-one', 'port-rewriting');

-- AlterTable
ALTER TABLE "hosts" ADD COLUMN     "gateway_nat" "GatewayNat";

