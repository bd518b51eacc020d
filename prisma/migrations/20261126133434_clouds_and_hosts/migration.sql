-- CreateEnum
CREATE TYPE "CloudKind" AS ENUM ('docker', 'vm', 'baremetal');

-- CreateTable
CREATE TABLE "clouds" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "CloudKind" NOT NULL,
    "region" TEXT NOT NULL,
    "datacenter" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "clouds_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "join_tokens" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "cloud_id" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "reusable" BOOLEAN NOT NULL,
    "usage_limit" INTEGER,
    "uses" INTEGER NOT NULL DEFAULT 0,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "join_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "join_token_secrets" (
    "join_token_id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "join_token_secrets_pkey" PRIMARY KEY ("join_token_id")
);

-- CreateTable
CREATE TABLE "hosts" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "cloud_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "facts" JSONB NOT NULL,
    "fabric_address" TEXT,
    "ovs_version" TEXT,
    "join_token_id" TEXT,
    "enrolled_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "hosts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "host_credentials" (
    "host_id" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "host_credentials_pkey" PRIMARY KEY ("host_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "clouds_org_id_name_key" ON "clouds"("org_id", "name");

-- CreateIndex
CREATE INDEX "join_tokens_org_id_idx" ON "join_tokens"("org_id");

-- CreateIndex
CREATE INDEX "join_tokens_cloud_id_idx" ON "join_tokens"("cloud_id");

-- CreateIndex
CREATE UNIQUE INDEX "join_token_secrets_hash_key" ON "join_token_secrets"("hash");

-- CreateIndex
CREATE INDEX "hosts_org_id_idx" ON "hosts"("org_id");

-- CreateIndex
CREATE UNIQUE INDEX "hosts_cloud_id_name_key" ON "hosts"("cloud_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "host_credentials_hash_key" ON "host_credentials"("hash");

-- AddForeignKey
ALTER TABLE "clouds" ADD CONSTRAINT "clouds_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "join_tokens" ADD CONSTRAINT "join_tokens_cloud_id_fkey" FOREIGN KEY ("cloud_id") REFERENCES "clouds"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "join_token_secrets" ADD CONSTRAINT "join_token_secrets_join_token_id_fkey" FOREIGN KEY ("join_token_id") REFERENCES "join_tokens"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "hosts" ADD CONSTRAINT "hosts_cloud_id_fkey" FOREIGN KEY ("cloud_id") REFERENCES "clouds"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "host_credentials" ADD CONSTRAINT "host_credentials_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

