-- CreateTable
CREATE TABLE "fabric_authorities" (
    "id" TEXT NOT NULL,
    "cert_pem" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fabric_authorities_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fabric_authority_keys" (
    "authority_id" TEXT NOT NULL,
    "encrypted_key" TEXT NOT NULL,

    CONSTRAINT "fabric_authority_keys_pkey" PRIMARY KEY ("authority_id")
);

-- CreateTable
CREATE TABLE "host_certificates" (
    "host_id" TEXT NOT NULL,
    "authority_id" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "datapath_id" TEXT NOT NULL,
    "issued_at" TIMESTAMP(3) NOT NULL,
    "not_after" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "host_certificates_pkey" PRIMARY KEY ("host_id")
);

-- AddForeignKey
ALTER TABLE "fabric_authority_keys" ADD CONSTRAINT "fabric_authority_keys_authority_id_fkey" FOREIGN KEY ("authority_id") REFERENCES "fabric_authorities"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "host_certificates" ADD CONSTRAINT "host_certificates_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

