import type { DbTx, Prisma } from "@nvi/db";
import { DomainError } from "../errors.ts";

/**
 * What still holds a subnet, a VPC or a cloud, named so a refusal says exactly what to do
 * (issue 17: a bare "still in use" told nobody which instance or host). Terminated instances hold
 * nothing: they are removed with what they lived in, their history stays in the audit log.
 */

const SHOWN = 5;

/** "instance a (running)", "hosts h1, h2", "subnets a, b, c, d, e and 3 more" */
export function nameList(kind: string, names: string[], total = names.length, plural = `${kind}s`): string {
  const shown = names.slice(0, SHOWN).join(", ");
  const more = total > SHOWN ? ` and ${total - SHOWN} more` : "";
  return `${total === 1 ? kind : plural} ${shown}${more}`;
}

/**
 * Refuses (VPC_NOT_EMPTY, naming them) while an instance that is not terminated lives in `where`;
 * otherwise removes the terminated ones, so the subnets can go. Locks the subnets first: a launch
 * allocating an address in one of them waits for this transaction.
 */
export async function clearTerminatedInstances(tx: DbTx, subnetIds: string[], what: string): Promise<void> {
  if (subnetIds.length === 0) return;
  await tx.$queryRaw`SELECT id FROM subnets WHERE id = ANY(${subnetIds}) FOR UPDATE`;
  const where: Prisma.InstanceWhereInput = { subnetId: { in: subnetIds }, status: { not: "terminated" } };
  const [live, total] = await Promise.all([
    tx.instance.findMany({ where, select: { name: true, status: true }, orderBy: { name: "asc" }, take: SHOWN }),
    tx.instance.count({ where }),
  ]);
  if (total > 0) {
    throw new DomainError(
      "VPC_NOT_EMPTY",
      `${what} still holds ${nameList(
        "instance",
        live.map((i) => `${i.name} (${i.status})`),
        total,
      )}; terminate ${total === 1 ? "it" : "them"} first`,
    );
  }
  const gone = await tx.instance.findMany({
    where: { subnetId: { in: subnetIds }, status: "terminated" },
    select: { id: true },
  });
  const goneIds = gone.map((i) => i.id);
  // a terminated instance released its address; clear any it kept, then refuse anything else still held
  await tx.ipAllocation.deleteMany({ where: { subnetId: { in: subnetIds }, holderId: { in: goneIds } } });
  await tx.instance.deleteMany({ where: { id: { in: goneIds } } });
  const heldWhere = { subnetId: { in: subnetIds } };
  const [held, heldTotal] = await Promise.all([
    tx.ipAllocation.findMany({ where: heldWhere, select: { address: true, holderId: true }, take: SHOWN }),
    tx.ipAllocation.count({ where: heldWhere }),
  ]);
  if (heldTotal > 0) {
    throw new DomainError(
      "VPC_NOT_EMPTY",
      `${what} still holds ${nameList(
        "address",
        held.map((a) => `${a.address} (held by ${a.holderId})`),
        heldTotal,
        "addresses",
      )}; release ${heldTotal === 1 ? "it" : "them"} first`,
    );
  }
}
