import type { HostCommandBody } from "@nvi/contracts";
import type { CoreDeps } from "../context.ts";
import { openContainerEnv, registryFor } from "./container-launch.ts";
import { openUserData } from "./guest-config.ts";

type Delivered = { id: string; body: HostCommandBody };

/**
 * Fills the sealed secrets a start or resume carries into the commands handed to `hostId`'s agent,
 * the only moment they are opened: a VM's user-data (from its guest config), a container's
 * environment values and, for an image that names its cloud's registry, that registry's account as
 * it is now. The stored command holds none of them (`scrubSecrets`, `guestSpecOf`). A command whose
 * secrets cannot be opened (the secrets key changed) is not handed out: it fails with the reason,
 * and the rest of the poll goes on.
 */
export async function openCommandSecrets(
  deps: CoreDeps,
  hostId: string,
  commands: Delivered[],
): Promise<{ ready: Delivered[]; failed: { id: string; error: string }[] }> {
  const sealedUserData = await userDataOf(deps, commands);
  const ready: Delivered[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const c of commands) {
    const body = c.body;
    if (body.kind !== "instance.start" && body.kind !== "instance.resume") {
      ready.push(c);
      continue;
    }
    try {
      if (body.spec.runtime === "docker") {
        const { env: _names, registry: _server, ...spec } = body.spec;
        const env = await openContainerEnv(deps, spec.instanceId);
        const registry = await registryFor(deps, hostId, spec.image);
        ready.push({
          id: c.id,
          body: { ...body, spec: { ...spec, ...(env ? { env } : {}), ...(registry ? { registry } : {}) } },
        });
        continue;
      }
      const sealed = body.spec.runtime === "qemu" ? sealedUserData.get(body.spec.instanceId) : undefined;
      if (sealed === undefined) {
        ready.push(c);
        continue;
      }
      const spec = { ...body.spec, userData: openUserData(deps, body.spec.instanceId, sealed) };
      ready.push({ id: c.id, body: { ...body, spec } });
    } catch (e) {
      failed.push({ id: c.id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { ready, failed };
}

/** The sealed user-data of the VMs these commands start or resume, by instance id (one query). */
async function userDataOf(deps: CoreDeps, commands: Delivered[]): Promise<Map<string, string>> {
  const vms = commands.flatMap((c) =>
    (c.body.kind === "instance.start" || c.body.kind === "instance.resume") && c.body.spec.runtime === "qemu"
      ? [c.body.spec.instanceId]
      : [],
  );
  if (vms.length === 0) return new Map();
  const rows = await deps.db.instanceGuestConfig.findMany({
    where: { instanceId: { in: vms }, userDataSealed: { not: null } },
    select: { instanceId: true, userDataSealed: true },
  });
  return new Map(rows.map((r) => [r.instanceId, r.userDataSealed ?? ""]));
}
