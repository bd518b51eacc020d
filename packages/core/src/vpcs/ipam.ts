import type { DbTx } from "@nvi/db";
import { DomainError, notFound } from "../errors.ts";
import { assignableRange, containsAddress, formatIpv4, parseCidr, parseIpv4, type Cidr } from "../net/cidr.ts";

export interface Allocation {
  subnetId: string;
  address: string;
}

/**
 * Hands out one address of a subnet, never twice: the subnet row is locked for the
 * transaction, and (subnet, address) is unique in the table as a second guard.
 * Without `requested`, the lowest free address is chosen.
 */
export async function allocateAddress(
  tx: DbTx,
  orgId: string,
  subnetId: string,
  holderId: string,
  requested?: string,
): Promise<Allocation> {
  const locked = await tx.$queryRaw<
    { cidr: string }[]
  >`SELECT cidr FROM subnets WHERE id = ${subnetId} AND org_id = ${orgId} FOR UPDATE`;
  const row = locked[0];
  if (!row) throw notFound("subnet");
  const cidr = parseCidr(row.cidr) as Cidr;
  const range = assignableRange(cidr);
  const taken = new Set(
    (await tx.ipAllocation.findMany({ where: { subnetId }, select: { address: true } })).map((a) =>
      parseIpv4(a.address)!,
    ),
  );
  let address: number | null = null;
  if (requested !== undefined) {
    const wanted = parseIpv4(requested);
    if (wanted === null || !containsAddress(cidr, wanted) || wanted < range.first || wanted > range.last) {
      throw new DomainError(
        "VALIDATION_FAILED",
        `${requested} is not an assignable address of ${row.cidr} (${formatIpv4(range.first)}–${formatIpv4(range.last)})`,
        { field: "address" },
      );
    }
    if (taken.has(wanted))
      throw new DomainError("ADDRESS_IN_USE", `${requested} is already in use in ${row.cidr}`, { field: "address" });
    address = wanted;
  } else {
    for (let a = range.first; a <= range.last; a++) {
      if (!taken.has(a)) {
        address = a;
        break;
      }
    }
    if (address === null)
      throw new DomainError("SUBNET_FULL", `subnet ${row.cidr} has no free address left`, { field: "subnetId" });
  }
  const text = formatIpv4(address);
  await tx.ipAllocation.create({ data: { subnetId, address: text, holderId } });
  return { subnetId, address: text };
}

export async function releaseAddress(tx: DbTx, subnetId: string, address: string): Promise<void> {
  await tx.ipAllocation.deleteMany({ where: { subnetId, address } });
}
