import { idRef } from "@nvi/contracts";
import { z } from "zod";
import type { AuthenticatedHost } from "../clouds/hosts.ts";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { auditedInstanceAccess } from "./instance-access.ts";

/**
 * Who may open a VM's serial console (issue 17, item 5). The console is a root shell on the
 * guest, so it takes what changing the instance takes: `instances:write` (owners, admins and
 * members; never viewers, never a token without the scope), in the instance's own organization.
 * Only a running QEMU instance has one. Every attempt, granted or refused, is audited in the
 * asker's organization (a refusal for an instance of another organization names only the id asked
 * for: it says nothing about that organization). The relay (packages/api/src/serial/) hands out
 * the ticket; this decides.
 */
export const SerialConsoleInput = z.object({ instanceId: idRef("instance") });

export interface SerialConsoleTarget {
  orgId: string;
  instanceId: string;
  name: string;
  hostId: string;
}

export const SERIAL_CONSOLE_ACTION = "instance.serial_console";

export async function authorizeSerialConsole(
  ctx: Ctx,
  input: z.infer<typeof SerialConsoleInput>,
): Promise<SerialConsoleTarget> {
  const { row, audit } = await auditedInstanceAccess(ctx, {
    instanceId: input.instanceId,
    action: SERIAL_CONSOLE_ACTION,
    scopeMessage: "the serial console needs the instances:write scope (a viewer has none)",
  });
  if (row.runtime !== "qemu") {
    await audit("refused", `a ${row.runtime} instance has no serial console`);
    throw new DomainError("INSTANCE_STATE", `${row.name} is a ${row.runtime} instance: only VMs have a serial console`);
  }
  if (row.status !== "running") {
    await audit("refused", `instance is ${row.status}`);
    throw new DomainError("INSTANCE_STATE", `${row.name} is ${row.status}: its serial console opens once it runs`);
  }
  await audit("granted");
  return { orgId: ctx.actor.orgId, instanceId: row.id, name: row.name, hostId: row.hostId };
}

/**
 * The agent's side: a host may attach only to a running VM the console placed on it (what the
 * session record says is checked again against the database, never taken on its word).
 */
export async function assertSerialTargetOnHost(
  deps: Pick<CoreDeps, "db">,
  host: AuthenticatedHost,
  instanceId: string,
): Promise<void> {
  const row = await deps.db.instance.findFirst({
    where: { id: instanceId, hostId: host.id, orgId: host.orgId, runtime: "qemu", status: "running" },
    select: { id: true },
  });
  if (!row) throw notFound("serial console session");
}
