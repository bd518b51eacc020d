import { Labels, PolicyProtocol, PortRange } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import type { PolicyInstance, PolicySnapshot } from "@nvi/policy";
import { z } from "zod";

type Reader = Pick<DbTx, "group" | "policyRule" | "denyRule" | "vpcPeering" | "instance">;

const labelsOf = (value: unknown): Labels => Labels.catch({}).parse(value);
const portsOf = (value: unknown): PortRange[] => z.array(PortRange).catch([]).parse(value);

/**
 * The policy of some organizations (all of them when `orgIds` is undefined: what the TSC needs),
 * plus their live instances, as the plain data `@nvi/policy` evaluates. Peerings are included when
 * either side is one of the organizations; the other side's rules and deny entries are loaded too,
 * since they decide the pairs across the peering. `o.assumePeers`: the organizations the caller
 * expects to be their active peers (what it read last time); everything is then read in one round
 * of queries, and again only if the peerings name another organization.
 */
export async function loadPolicy(
  db: Reader,
  orgIds?: readonly string[],
  o: { assumePeers?: readonly string[] } = {},
): Promise<{ snapshot: PolicySnapshot; instances: PolicyInstance[]; orgIds: string[] | undefined }> {
  const peeringsOf = () =>
    db.vpcPeering.findMany({
      where: orgIds ? { OR: [{ requesterOrgId: { in: [...orgIds] } }, { accepterOrgId: { in: [...orgIds] } }] } : {},
    });
  const rowsOf = (orgs: readonly string[] | undefined) => {
    const inOrgs = orgs ? { orgId: { in: [...orgs] } } : {};
    return Promise.all([
      db.group.findMany({
        where: inOrgs,
        include: { members: { select: { instanceId: true } } },
        orderBy: { createdAt: "asc" },
      }),
      db.policyRule.findMany({ where: inOrgs, orderBy: { createdAt: "asc" } }),
      db.denyRule.findMany({ where: inOrgs, orderBy: { createdAt: "asc" } }),
      db.instance.findMany({
        where: { ...inOrgs, status: { not: "terminated" } },
        select: { id: true, orgId: true, vpcId: true, name: true, address: true, labels: true },
        orderBy: { createdAt: "asc" },
      }),
    ]);
  };
  const assumed = orgIds && o.assumePeers ? [...new Set([...orgIds, ...o.assumePeers])] : undefined;
  const [peeringRows, guessed] = await Promise.all([peeringsOf(), assumed ? rowsOf(assumed) : undefined]);
  const orgs = orgIds
    ? [
        ...new Set([
          ...orgIds,
          ...peeringRows.filter((p) => p.status === "active").flatMap((p) => [p.requesterOrgId, p.accepterOrgId]),
        ]),
      ]
    : undefined;
  // the guess holds when it covers every organization the peerings name (extra ones are dropped)
  const covered = guessed !== undefined && orgs !== undefined && orgs.every((x) => assumed?.includes(x));
  const keep = orgs ? new Set(orgs) : undefined;
  const only = <T extends { orgId: string }>(xs: T[]): T[] => (keep ? xs.filter((x) => keep.has(x.orgId)) : xs);
  const [g, r, d, i] = covered ? guessed : await rowsOf(orgs);
  const [groups, rules, denies, instances] = [only(g), only(r), only(d), only(i)];
  return {
    orgIds: orgs,
    snapshot: {
      groups: groups.map((g) => ({
        id: g.id,
        orgId: g.orgId,
        vpcId: g.vpcId,
        name: g.name,
        matchLabels: g.matchLabels === null ? null : labelsOf(g.matchLabels),
        memberIds: g.members.map((m) => m.instanceId),
      })),
      rules: rules.map((r) => ({
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
      denies: denies.map((d) => ({
        id: d.id,
        orgId: d.orgId,
        srcLabels: labelsOf(d.srcLabels),
        dstLabels: labelsOf(d.dstLabels),
        description: d.description,
      })),
      peerings: peeringRows.map((p) => ({
        id: p.id,
        vpcA: p.requesterVpcId,
        vpcB: p.accepterVpcId,
        status: p.status === "active" ? "active" : p.status === "rejected" ? "rejected" : "pending",
      })),
    },
    instances: instances.map((i) => ({ ...i, labels: labelsOf(i.labels) })),
  };
}

export { labelsOf, portsOf };
