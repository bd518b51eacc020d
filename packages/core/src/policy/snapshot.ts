import { Labels, PolicyProtocol, PortRange } from "@nvi/contracts";
import { Prisma, type DbTx } from "@nvi/db";
import type { PolicyGroup, PolicyInstance, PolicyRule, PolicySnapshot } from "@nvi/policy";
import { z } from "zod";

type Reader = Pick<DbTx, "$queryRaw">;

const labelsOf = (value: unknown): Labels => Labels.catch({}).parse(value);
const portsOf = (value: unknown): PortRange[] => z.array(PortRange).catch([]).parse(value);

/** One row: every part of the policy as JSON, read by one statement (one round trip, one snapshot). */
interface PolicyRow {
  orgIds: string[] | null;
  peerings: { id: string; vpcA: string; vpcB: string; status: string; requesterOrgId: string; accepterOrgId: string }[];
  groups: (Omit<PolicyGroup, "matchLabels" | "memberIds"> & { matchLabels: unknown; memberIds: string[] })[];
  rules: (Omit<PolicyRule, "protocol" | "ports"> & { protocol: string; ports: unknown })[];
  denies: { id: string; orgId: string; srcLabels: unknown; dstLabels: unknown; description: string }[];
  instances: {
    id: string;
    orgId: string;
    vpcId: string;
    name: string;
    address: string;
    labels: unknown;
    underlayDscp: number;
  }[];
}

/**
 * `peer`: the peerings read (those with a side in the organizations, or all); `orgs`: the
 * organizations whose rows are read (they, and the other side of their active peerings; or all).
 */
function policyQuery(orgIds: readonly string[] | undefined): Prisma.Sql {
  const ids = orgIds ? [...orgIds] : [];
  const peer = orgIds
    ? Prisma.sql`SELECT * FROM vpc_peerings WHERE requester_org_id = ANY(${ids}::text[]) OR accepter_org_id = ANY(${ids}::text[])`
    : Prisma.sql`SELECT * FROM vpc_peerings`;
  const orgs = orgIds
    ? Prisma.sql`SELECT unnest(${ids}::text[]) AS id
        UNION SELECT requester_org_id FROM peer WHERE status = 'active'
        UNION SELECT accepter_org_id FROM peer WHERE status = 'active'`
    : Prisma.sql`SELECT id FROM organizations`;
  return Prisma.sql`
    WITH peer AS (${peer}), orgs AS (${orgs})
    SELECT
      ${orgIds ? Prisma.sql`(SELECT array_agg(id) FROM orgs)` : Prisma.sql`NULL::text[]`} AS "orgIds",
      (SELECT coalesce(json_agg(json_build_object('id', p.id, 'vpcA', p.requester_vpc_id, 'vpcB', p.accepter_vpc_id,
          'status', p.status, 'requesterOrgId', p.requester_org_id, 'accepterOrgId', p.accepter_org_id)
          ORDER BY p.created_at, p.id), '[]') FROM peer p) AS peerings,
      (SELECT coalesce(json_agg(json_build_object('id', g.id, 'orgId', g.org_id, 'vpcId', g.vpc_id, 'name', g.name,
          'matchLabels', g.match_labels,
          'memberIds', ARRAY(SELECT m.instance_id FROM group_members m WHERE m.group_id = g.id ORDER BY m.created_at, m.instance_id))
          ORDER BY g.created_at, g.id), '[]')
        FROM instance_groups g WHERE g.org_id IN (SELECT id FROM orgs)) AS groups,
      (SELECT coalesce(json_agg(json_build_object('id', r.id, 'orgId', r.org_id, 'srcGroupId', r.src_group_id,
          'srcVpcId', r.src_vpc_id, 'dstGroupId', r.dst_group_id, 'protocol', r.protocol, 'ports', r.ports,
          'bidirectional', r.bidirectional, 'enabled', r.enabled, 'description', r.description)
          ORDER BY r.created_at, r.id), '[]')
        FROM policy_rules r WHERE r.org_id IN (SELECT id FROM orgs)) AS rules,
      (SELECT coalesce(json_agg(json_build_object('id', d.id, 'orgId', d.org_id, 'srcLabels', d.src_labels,
          'dstLabels', d.dst_labels, 'description', d.description) ORDER BY d.created_at, d.id), '[]')
        FROM policy_denies d WHERE d.org_id IN (SELECT id FROM orgs)) AS denies,
      (SELECT coalesce(json_agg(json_build_object('id', i.id, 'orgId', i.org_id, 'vpcId', i.vpc_id, 'name', i.name,
          'address', i.address, 'labels', i.labels, 'underlayDscp', v.underlay_dscp) ORDER BY i.created_at, i.id), '[]')
        FROM instances i JOIN vpcs v ON v.id = i.vpc_id
        WHERE i.org_id IN (SELECT id FROM orgs) AND i.status <> 'terminated') AS instances`;
}

/**
 * The policy of some organizations (all of them when `orgIds` is undefined: what the TSC needs),
 * plus their live instances, as the plain data `@nvi/policy` evaluates. Peerings are included when
 * either side is one of the organizations; the other side's rules and deny entries are loaded too,
 * since they decide the pairs across the peering. One statement: one round trip, and every part
 * read from the same snapshot (inside a transaction or not).
 */
export async function loadPolicy(
  db: Reader,
  orgIds?: readonly string[],
): Promise<{ snapshot: PolicySnapshot; instances: PolicyInstance[]; orgIds: string[] | undefined }> {
  const [row] = await db.$queryRaw<PolicyRow[]>(policyQuery(orgIds));
  if (!row) throw new Error("the policy query returned no row");
  // the organizations asked for first, then their active peers (as the peerings name them)
  const orgs = orgIds
    ? [
        ...new Set([
          ...orgIds,
          ...row.peerings.filter((p) => p.status === "active").flatMap((p) => [p.requesterOrgId, p.accepterOrgId]),
        ]),
      ]
    : undefined;
  return {
    orgIds: orgs,
    snapshot: {
      groups: row.groups.map((g) => ({
        id: g.id,
        orgId: g.orgId,
        vpcId: g.vpcId,
        name: g.name,
        matchLabels: g.matchLabels === null ? null : labelsOf(g.matchLabels),
        memberIds: g.memberIds,
      })),
      rules: row.rules.map((r) => ({
        id: r.id,
        orgId: r.orgId,
        srcGroupId: r.srcGroupId,
        srcVpcId: r.srcVpcId,
        dstGroupId: r.dstGroupId,
        protocol: PolicyProtocol.catch("any").parse(r.protocol),
        ports: portsOf(r.ports),
        bidirectional: r.bidirectional,
        enabled: r.enabled,
        description: r.description,
      })),
      denies: row.denies.map((d) => ({
        id: d.id,
        orgId: d.orgId,
        srcLabels: labelsOf(d.srcLabels),
        dstLabels: labelsOf(d.dstLabels),
        description: d.description,
      })),
      peerings: row.peerings.map((p) => ({
        id: p.id,
        vpcA: p.vpcA,
        vpcB: p.vpcB,
        status: p.status === "active" ? "active" : p.status === "rejected" ? "rejected" : "pending",
      })),
    },
    instances: row.instances.map((i) => ({
      id: i.id,
      orgId: i.orgId,
      vpcId: i.vpcId,
      name: i.name,
      address: i.address,
      labels: labelsOf(i.labels),
      underlayDscp: i.underlayDscp,
    })),
  };
}

export { labelsOf, portsOf };
