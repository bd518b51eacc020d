import type { AuditTargetType } from "@nvi/contracts";
import type { Ctx } from "../context.ts";

/**
 * The names people read instead of ids (issue 17, bug 6: Operations and Audit showed `inst_Riek…`).
 * One query per kind of target on a page, always scoped by the organization; a target that is gone
 * (a deleted VPC, a removed host) gets the name its last audit event recorded.
 */
type Db = Ctx["db"];
type Loader = (db: Db, orgId: string, ids: string[]) => Promise<{ id: string; name: string }[]>;

const ownOrganization: Loader = (db, orgId, ids) =>
  db.organization.findMany({
    where: { id: { in: ids.filter((id) => id === orgId) } },
    select: { id: true, name: true },
  });

const LOADERS: Partial<Record<AuditTargetType, Loader>> = {
  instance: (db, orgId, ids) =>
    db.instance.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, name: true } }),
  host: (db, orgId, ids) => db.host.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, name: true } }),
  vpc: (db, orgId, ids) => db.vpc.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, name: true } }),
  cloud: (db, orgId, ids) => db.cloud.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, name: true } }),
  group: (db, orgId, ids) => db.group.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, name: true } }),
  token: (db, orgId, ids) =>
    db.apiToken.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, name: true } }),
  ssh_key: (db, orgId, ids) =>
    db.sshKey.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, name: true } }),
  organization: ownOrganization,
  // a policy operation's target is the organization whose policy it applies
  policy: ownOrganization,
  subnet: async (db, orgId, ids) =>
    (
      await db.subnet.findMany({
        where: { orgId, id: { in: ids } },
        select: { id: true, name: true, vpc: { select: { name: true } } },
      })
    ).map((s) => ({ id: s.id, name: `${s.vpc.name} / ${s.name}` })),
  join_token: async (db, orgId, ids) =>
    (
      await db.joinToken.findMany({
        where: { orgId, id: { in: ids } },
        select: { id: true, prefix: true, cloud: { select: { name: true } } },
      })
    ).map((t) => ({ id: t.id, name: `${t.prefix}… (${t.cloud.name})` })),
  member: async (db, orgId, ids) =>
    (
      await db.membership.findMany({
        where: { orgId, id: { in: ids } },
        select: { id: true, user: { select: { email: true } } },
      })
    ).map((m) => ({ id: m.id, name: m.user.email })),
  invitation: async (db, orgId, ids) =>
    (await db.invitation.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, email: true } })).map(
      (i) => ({ id: i.id, name: i.email ?? "invitation link" }),
    ),
  rule: async (db, orgId, ids) =>
    (
      await db.policyRule.findMany({
        where: { orgId, id: { in: ids } },
        select: {
          id: true,
          srcGroup: { select: { name: true } },
          srcVpc: { select: { name: true } },
          dstGroup: { select: { name: true } },
        },
      })
    ).map((r) => ({ id: r.id, name: `${r.srcGroup?.name ?? `VPC ${r.srcVpc?.name ?? "?"}`} → ${r.dstGroup.name}` })),
  operation: async (db, orgId, ids) =>
    (await db.operation.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, kind: true } })).map((o) => ({
      id: o.id,
      name: o.kind,
    })),
};

/** targetId → name for the targets of one page of audit events or operations. */
export async function targetNames(
  db: Db,
  orgId: string,
  refs: { targetType: string; targetId: string | null }[],
): Promise<Map<string, string>> {
  const byType = new Map<string, Set<string>>();
  for (const r of refs)
    if (r.targetId) byType.set(r.targetType, (byType.get(r.targetType) ?? new Set()).add(r.targetId));
  const names = new Map<string, string>();
  await Promise.all(
    [...byType].map(async ([type, ids]) => {
      const load = LOADERS[type as AuditTargetType];
      if (load) for (const row of await load(db, orgId, [...ids])) names.set(row.id, row.name);
    }),
  );
  const missing = [...new Set(refs.flatMap((r) => (r.targetId && !names.has(r.targetId) ? [r.targetId] : [])))];
  if (missing.length > 0) {
    // the newest event that recorded a name, one row per target (not every event a target ever had)
    const recorded = await db.$queryRaw<{ targetId: string; name: string }[]>`
      SELECT DISTINCT ON (target_id) target_id AS "targetId",
        CASE WHEN jsonb_typeof(after -> 'name') = 'string' THEN after ->> 'name' ELSE before ->> 'name' END AS name
      FROM audit_events
      WHERE org_id = ${orgId} AND target_id = ANY(${missing}::text[])
        AND (jsonb_typeof(after -> 'name') = 'string' OR jsonb_typeof(before -> 'name') = 'string')
      ORDER BY target_id, at DESC`;
    for (const e of recorded) names.set(e.targetId, e.name);
  }
  return names;
}
