-- AlterTable: a container's command becomes argv. A command from before was a shell string the
-- agent ran with `sh -c`, and it is kept as exactly that argv: such a container starts as it did.
ALTER TABLE "instances" ADD COLUMN     "command_args" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "env_names" TEXT[] DEFAULT ARRAY[]::TEXT[];
UPDATE "instances" SET "command_args" = ARRAY['sh', '-c', "command"] WHERE "command" IS NOT NULL;
ALTER TABLE "instances" DROP COLUMN "command";

-- CreateTable
CREATE TABLE "cloud_registries" (
    "cloud_id" TEXT NOT NULL,
    "server" TEXT NOT NULL,
    "username" TEXT,
    "sealed_password" TEXT,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "cloud_registries_pkey" PRIMARY KEY ("cloud_id")
);

-- CreateTable
CREATE TABLE "instance_envs" (
    "instance_id" TEXT NOT NULL,
    "sealed" TEXT NOT NULL,

    CONSTRAINT "instance_envs_pkey" PRIMARY KEY ("instance_id")
);

-- AddForeignKey
ALTER TABLE "cloud_registries" ADD CONSTRAINT "cloud_registries_cloud_id_fkey" FOREIGN KEY ("cloud_id") REFERENCES "clouds"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_envs" ADD CONSTRAINT "instance_envs_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

