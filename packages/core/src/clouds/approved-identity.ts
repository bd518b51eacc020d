import { HOST_IDENTITY_FIELDS, HOST_IDENTITY_MASK, type HostIdentity } from "@nvi/contracts";
import type { CoreDeps } from "../context.ts";

/**
 * What the console approved for a host (the TSC checks a switch's datapath id against it), or null
 * for a host that does not exist. Fields are null until claimed.
 */
export async function approvedIdentityOf(
  deps: Pick<CoreDeps, "db">,
  hostId: string,
): Promise<({ hostId: string; orgId: string } & HostIdentity) | null> {
  const row = await deps.db.host.findUnique({
    where: { id: hostId },
    select: { id: true, orgId: true, ...HOST_IDENTITY_MASK },
  });
  return row
    ? ({ hostId: row.id, orgId: row.orgId, ...Object.fromEntries(HOST_IDENTITY_FIELDS.map((f) => [f, row[f]])) } as {
        hostId: string;
        orgId: string;
      } & HostIdentity)
    : null;
}
