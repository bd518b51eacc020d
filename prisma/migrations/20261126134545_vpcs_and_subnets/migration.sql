-- CreateTable
CREATE TABLE "vpcs" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "cidr" TEXT NOT NULL,
    "allow_overlap" BOOLEAN NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vpcs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subnets" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "vpc_id" TEXT NOT NULL,
    "cloud_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "cidr" TEXT NOT NULL,
    "gateway" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "subnets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ip_allocations" (
    "subnet_id" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "holder_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ip_allocations_pkey" PRIMARY KEY ("subnet_id","address")
);

-- CreateIndex
CREATE UNIQUE INDEX "vpcs_org_id_name_key" ON "vpcs"("org_id", "name");

-- CreateIndex
CREATE INDEX "subnets_org_id_idx" ON "subnets"("org_id");

-- CreateIndex
CREATE UNIQUE INDEX "subnets_vpc_id_name_key" ON "subnets"("vpc_id", "name");

-- CreateIndex
CREATE INDEX "ip_allocations_holder_id_idx" ON "ip_allocations"("holder_id");

-- AddForeignKey
ALTER TABLE "vpcs" ADD CONSTRAINT "vpcs_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subnets" ADD CONSTRAINT "subnets_vpc_id_fkey" FOREIGN KEY ("vpc_id") REFERENCES "vpcs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subnets" ADD CONSTRAINT "subnets_cloud_id_fkey" FOREIGN KEY ("cloud_id") REFERENCES "clouds"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ip_allocations" ADD CONSTRAINT "ip_allocations_subnet_id_fkey" FOREIGN KEY ("subnet_id") REFERENCES "subnets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

