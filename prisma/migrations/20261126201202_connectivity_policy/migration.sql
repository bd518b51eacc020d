-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "policy_version" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "instances" ADD COLUMN     "labels" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "instance_groups" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "vpc_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "match_labels" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instance_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "group_members" (
    "group_id" TEXT NOT NULL,
    "instance_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "group_members_pkey" PRIMARY KEY ("group_id","instance_id")
);

-- CreateTable
CREATE TABLE "policy_rules" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "src_group_id" TEXT,
    "src_vpc_id" TEXT,
    "dst_group_id" TEXT NOT NULL,
    "protocol" TEXT NOT NULL,
    "ports" JSONB NOT NULL,
    "bidirectional" BOOLEAN NOT NULL DEFAULT false,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "policy_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_denies" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "src_labels" JSONB NOT NULL,
    "dst_labels" JSONB NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policy_denies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vpc_peerings" (
    "id" TEXT NOT NULL,
    "requester_org_id" TEXT NOT NULL,
    "requester_vpc_id" TEXT NOT NULL,
    "accepter_org_id" TEXT NOT NULL,
    "accepter_vpc_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "requested_by" TEXT NOT NULL,
    "decided_by" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMP(3),

    CONSTRAINT "vpc_peerings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_realizations" (
    "host_id" TEXT NOT NULL,
    "checked_at" TIMESTAMP(3) NOT NULL,
    "policy_version" INTEGER NOT NULL,
    "pair_flows" INTEGER NOT NULL,
    "stale" INTEGER NOT NULL,
    "missing" INTEGER NOT NULL,
    "details" JSONB NOT NULL,

    CONSTRAINT "policy_realizations_pkey" PRIMARY KEY ("host_id")
);

-- CreateIndex
CREATE INDEX "instance_groups_org_id_idx" ON "instance_groups"("org_id");

-- CreateIndex
CREATE UNIQUE INDEX "instance_groups_vpc_id_name_key" ON "instance_groups"("vpc_id", "name");

-- CreateIndex
CREATE INDEX "group_members_instance_id_idx" ON "group_members"("instance_id");

-- CreateIndex
CREATE INDEX "policy_rules_org_id_idx" ON "policy_rules"("org_id");

-- CreateIndex
CREATE INDEX "policy_rules_dst_group_id_idx" ON "policy_rules"("dst_group_id");

-- CreateIndex
CREATE INDEX "policy_denies_org_id_idx" ON "policy_denies"("org_id");

-- CreateIndex
CREATE INDEX "vpc_peerings_accepter_org_id_idx" ON "vpc_peerings"("accepter_org_id");

-- CreateIndex
CREATE INDEX "vpc_peerings_requester_org_id_idx" ON "vpc_peerings"("requester_org_id");

-- CreateIndex
CREATE UNIQUE INDEX "vpc_peerings_requester_vpc_id_accepter_vpc_id_key" ON "vpc_peerings"("requester_vpc_id", "accepter_vpc_id");

-- AddForeignKey
ALTER TABLE "instance_groups" ADD CONSTRAINT "instance_groups_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_groups" ADD CONSTRAINT "instance_groups_vpc_id_fkey" FOREIGN KEY ("vpc_id") REFERENCES "vpcs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "instance_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_rules" ADD CONSTRAINT "policy_rules_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_rules" ADD CONSTRAINT "policy_rules_src_group_id_fkey" FOREIGN KEY ("src_group_id") REFERENCES "instance_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_rules" ADD CONSTRAINT "policy_rules_src_vpc_id_fkey" FOREIGN KEY ("src_vpc_id") REFERENCES "vpcs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_rules" ADD CONSTRAINT "policy_rules_dst_group_id_fkey" FOREIGN KEY ("dst_group_id") REFERENCES "instance_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_denies" ADD CONSTRAINT "policy_denies_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vpc_peerings" ADD CONSTRAINT "vpc_peerings_requester_vpc_id_fkey" FOREIGN KEY ("requester_vpc_id") REFERENCES "vpcs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vpc_peerings" ADD CONSTRAINT "vpc_peerings_accepter_vpc_id_fkey" FOREIGN KEY ("accepter_vpc_id") REFERENCES "vpcs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_realizations" ADD CONSTRAINT "policy_realizations_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Every VPC gets its "default" group (every instance of the VPC) and the rule default → default,
-- any protocol: instances of one VPC keep talking to each other, as before policies existed.
INSERT INTO "instance_groups" ("id", "org_id", "vpc_id", "name", "description", "match_labels")
SELECT 'grp_' || substr(md5(random()::text || v."id"), 1, 20), v."org_id", v."id", 'default', 'every instance of the VPC', '{}'::jsonb
FROM "vpcs" v;

INSERT INTO "policy_rules" ("id", "org_id", "dst_group_id", "src_group_id", "protocol", "ports", "bidirectional", "enabled", "description", "updated_at")
SELECT 'rule_' || substr(md5(random()::text || g."id"), 1, 20), g."org_id", g."id", g."id", 'any', '[]'::jsonb, false, true, 'members of the VPC talk to each other', CURRENT_TIMESTAMP
FROM "instance_groups" g WHERE g."name" = 'default';
