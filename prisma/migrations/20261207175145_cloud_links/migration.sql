-- Trusted direct links between gateway clouds (issue 15): how pairs between two of an organization's
-- gateway clouds cross, `encrypted` (the default, also when no row exists) or `direct`.
-- CreateEnum
CREATE TYPE "CloudLinkMode" AS ENUM ('encrypted', 'direct');

-- CreateTable
CREATE TABLE "cloud_links" (
    "org_id" TEXT NOT NULL,
    "cloud_a_id" TEXT NOT NULL,
    "cloud_b_id" TEXT NOT NULL,
    "mode" "CloudLinkMode" NOT NULL,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "cloud_links_pkey" PRIMARY KEY ("cloud_a_id","cloud_b_id")
);

-- CreateIndex
CREATE INDEX "cloud_links_org_id_idx" ON "cloud_links"("org_id");

-- AddForeignKey
ALTER TABLE "cloud_links" ADD CONSTRAINT "cloud_links_cloud_a_id_fkey" FOREIGN KEY ("cloud_a_id") REFERENCES "clouds"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cloud_links" ADD CONSTRAINT "cloud_links_cloud_b_id_fkey" FOREIGN KEY ("cloud_b_id") REFERENCES "clouds"("id") ON DELETE CASCADE ON UPDATE CASCADE;

