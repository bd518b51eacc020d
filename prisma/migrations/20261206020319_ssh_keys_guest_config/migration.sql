-- CreateTable
CREATE TABLE "ssh_keys" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "key_type" TEXT NOT NULL,
    "bits" INTEGER NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "comment" TEXT,
    "public_key" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ssh_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instance_guest_configs" (
    "instance_id" TEXT NOT NULL,
    "ssh_keys" TEXT[],
    "ssh_key_names" TEXT[],
    "user_data_sealed" TEXT,

    CONSTRAINT "instance_guest_configs_pkey" PRIMARY KEY ("instance_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ssh_keys_org_id_name_key" ON "ssh_keys"("org_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "ssh_keys_org_id_fingerprint_key" ON "ssh_keys"("org_id", "fingerprint");

-- AddForeignKey
ALTER TABLE "ssh_keys" ADD CONSTRAINT "ssh_keys_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_guest_configs" ADD CONSTRAINT "instance_guest_configs_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

