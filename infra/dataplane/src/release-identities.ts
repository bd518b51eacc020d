import type { CoreDeps } from "@nvi/core";
import type { HostState } from "@nvi/lab";

/**
 * A lab host's fabric identity (datapath id, fabric address and MAC, instance block) comes from the
 * lab plan, the same on every run; the console approves each identity for one host at a time, across
 * organizations. A host record that an earlier run, spec or demo left in the database still holds it,
 * and would get this run's agent refused (409). The lab just created owns those identities, so such
 * records are stale by construction: they go first, with their instances and addresses. Only lab
 * harnesses call this, on a database the lab runs against.
 */
export async function releaseLabIdentities(
  db: CoreDeps["db"],
  hosts: readonly Pick<HostState, "datapathId" | "fabricIp" | "fabricMac" | "instanceBlock">[],
): Promise<number> {
  if (hosts.length === 0) return 0;
  const stale = await db.host.findMany({
    where: {
      OR: [
        { datapathId: { in: hosts.map((h) => h.datapathId) } },
        { fabricAddress: { in: hosts.map((h) => h.fabricIp) } },
        { fabricMac: { in: hosts.map((h) => h.fabricMac) } },
        { instanceBlock: { in: hosts.map((h) => h.instanceBlock) } },
      ],
    },
    select: { id: true },
  });
  const ids = stale.map((h) => h.id);
  if (ids.length === 0) return 0;
  const instances = (await db.instance.findMany({ where: { hostId: { in: ids } }, select: { id: true } })).map(
    (i) => i.id,
  );
  await db.$transaction([
    db.ipAllocation.deleteMany({ where: { holderId: { in: instances } } }),
    db.instance.deleteMany({ where: { id: { in: instances } } }),
    db.host.deleteMany({ where: { id: { in: ids } } }),
  ]);
  return ids.length;
}
