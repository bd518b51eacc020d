-- CreateEnum
CREATE TYPE "InstanceRuntime" AS ENUM ('netns', 'docker', 'qemu');

-- CreateEnum
CREATE TYPE "InstanceStatus" AS ENUM ('pending', 'starting', 'running', 'stopping', 'stopped', 'failed', 'terminating', 'terminated');

-- CreateEnum
CREATE TYPE "OperationStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "HostCommandStatus" AS ENUM ('pending', 'sent', 'done', 'failed');

-- CreateTable
CREATE TABLE "instances" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "vpc_id" TEXT NOT NULL,
    "subnet_id" TEXT NOT NULL,
    "host_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "runtime" "InstanceRuntime" NOT NULL,
    "image" TEXT,
    "command" TEXT,
    "cpus" INTEGER NOT NULL DEFAULT 1,
    "memory_mib" INTEGER NOT NULL DEFAULT 256,
    "address" TEXT NOT NULL,
    "mac" TEXT NOT NULL,
    "status" "InstanceStatus" NOT NULL DEFAULT 'pending',
    "status_reason" TEXT,
    "ofport" INTEGER,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operations" (
    "id" TEXT NOT NULL,
    "org_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "status" "OperationStatus" NOT NULL DEFAULT 'queued',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "steps" JSONB NOT NULL,
    "error" TEXT,
    "requested_by" TEXT NOT NULL,
    "idempotency_key" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "operations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "host_commands" (
    "id" TEXT NOT NULL,
    "host_id" TEXT NOT NULL,
    "operation_id" TEXT,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "HostCommandStatus" NOT NULL DEFAULT 'pending',
    "result" JSONB,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMP(3),
    "done_at" TIMESTAMP(3),

    CONSTRAINT "host_commands_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "instances_host_id_idx" ON "instances"("host_id");

-- CreateIndex
CREATE INDEX "instances_subnet_id_idx" ON "instances"("subnet_id");

-- CreateIndex
CREATE UNIQUE INDEX "instances_org_id_name_key" ON "instances"("org_id", "name");

-- CreateIndex
CREATE INDEX "operations_org_id_created_at_idx" ON "operations"("org_id", "created_at");

-- CreateIndex
CREATE INDEX "operations_status_idx" ON "operations"("status");

-- CreateIndex
CREATE UNIQUE INDEX "operations_org_id_idempotency_key_key" ON "operations"("org_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "host_commands_host_id_status_idx" ON "host_commands"("host_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "host_commands_operation_id_kind_key" ON "host_commands"("operation_id", "kind");

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_subnet_id_fkey" FOREIGN KEY ("subnet_id") REFERENCES "subnets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operations" ADD CONSTRAINT "operations_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "host_commands" ADD CONSTRAINT "host_commands_host_id_fkey" FOREIGN KEY ("host_id") REFERENCES "hosts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "host_commands" ADD CONSTRAINT "host_commands_operation_id_fkey" FOREIGN KEY ("operation_id") REFERENCES "operations"("id") ON DELETE SET NULL ON UPDATE CASCADE;

