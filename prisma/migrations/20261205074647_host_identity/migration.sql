-- AlterTable
ALTER TABLE "hosts" ADD COLUMN     "datapath_id" TEXT,
ADD COLUMN     "fabric_mac" TEXT,
ADD COLUMN     "fabric_prefix_len" INTEGER,
ADD COLUMN     "fabric_problem" TEXT,
ADD COLUMN     "identity_claim" JSONB,
ADD COLUMN     "identity_claimed_at" TIMESTAMP(3),
ADD COLUMN     "identity_problem" TEXT,
ADD COLUMN     "instance_block" TEXT,
ADD COLUMN     "next_hop_mac" TEXT;

-- The approved identity starts from what hosts reported before this change, the earliest-enrolled
-- claimant of each value winning (a later duplicate is left unapproved: its next heartbeat is refused
-- and shown for approval). fabric_address held the claim of the last heartbeat and is re-derived the same way.
UPDATE "hosts" SET "fabric_address" = NULL;
UPDATE "hosts" h SET "datapath_id" = x.v FROM (
  SELECT DISTINCT ON (v) id, v FROM (SELECT id, enrolled_at, facts->>'datapathId' AS v FROM "hosts") s
  WHERE v ~ '^[0-9a-f]{16}$' AND v !~ '^0+$' ORDER BY v, enrolled_at, id
) x WHERE h.id = x.id;
UPDATE "hosts" h SET "fabric_address" = x.v, "fabric_prefix_len" = x.len FROM (
  SELECT DISTINCT ON (v) id, v, len FROM (
    SELECT id, enrolled_at, facts->>'fabricAddress' AS v, CASE WHEN jsonb_typeof(facts->'fabricPrefixLen') = 'number' THEN (facts->>'fabricPrefixLen')::int END AS len FROM "hosts"
  ) s
  WHERE v ~ '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$' AND len BETWEEN 8 AND 30
  ORDER BY v, enrolled_at, id
) x WHERE h.id = x.id;
UPDATE "hosts" h SET "fabric_mac" = x.v FROM (
  SELECT DISTINCT ON (v) id, v FROM (SELECT id, enrolled_at, facts->>'fabricMac' AS v FROM "hosts") s
  WHERE v ~ '^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$' AND v <> '00:00:00:00:00:00' ORDER BY v, enrolled_at, id
) x WHERE h.id = x.id;
UPDATE "hosts" SET "next_hop_mac" = facts->>'nextHopMac' WHERE facts->>'nextHopMac' ~ '^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$';
UPDATE "hosts" h SET "instance_block" = x.v FROM (
  SELECT DISTINCT ON (v) id, v FROM (
    SELECT id, enrolled_at, facts->>'instanceBlock' AS v,
      CASE WHEN facts->>'instanceBlock' ~ '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}/(1[6-9]|2[0-9])$' THEN (facts->>'instanceBlock')::inet END AS b
    FROM "hosts"
  ) s
  WHERE b IS NOT NULL AND host(b) = host(network(b)) ORDER BY v, enrolled_at, id
) x WHERE h.id = x.id;
-- overlapping (not equal) blocks: the later-enrolled one is left unapproved
UPDATE "hosts" h SET "instance_block" = NULL WHERE h."instance_block" IS NOT NULL AND EXISTS (
  SELECT 1 FROM "hosts" o WHERE o.id <> h.id AND o."instance_block" IS NOT NULL AND (o.enrolled_at, o.id) < (h.enrolled_at, h.id)
    AND o."instance_block"::inet && h."instance_block"::inet
);

-- CreateIndex
CREATE UNIQUE INDEX "hosts_datapath_id_key" ON "hosts"("datapath_id");

-- CreateIndex
CREATE UNIQUE INDEX "hosts_fabric_address_key" ON "hosts"("fabric_address");

-- CreateIndex
CREATE UNIQUE INDEX "hosts_fabric_mac_key" ON "hosts"("fabric_mac");

-- CreateIndex
CREATE UNIQUE INDEX "hosts_instance_block_key" ON "hosts"("instance_block");

