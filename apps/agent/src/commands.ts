import type { CommandResult, HostCommandBody, InstanceInventoryItem } from "@nvi/contracts";
import { runProbe } from "./probe.ts";
import { removeDocker, startDocker } from "./runtimes/docker.ts";
import { removeNetns, startNetns } from "./runtimes/netns.ts";
import { listBindings, type Runner } from "./veb.ts";

/**
 * Runs one command from the console on this host. Every command is idempotent (delivery is at
 * least once). Runtimes this agent cannot drive answer with a clear error instead of guessing.
 */
export async function runCommand(run: Runner, bridge: string | null, body: HostCommandBody, host: { hostId: string; netnsPrefix?: string }): Promise<CommandResult> {
  if (!bridge) return { ok: false, error: "this agent does not own a VEB (set NVI_CONTROLLER): it cannot plug instances" };
  try {
    if (body.kind === "instance.probe") return { ok: true, probe: await runProbe(run, body.probe, host.netnsPrefix) };
    if (body.kind === "instance.start") {
      if (body.spec.runtime === "qemu") return { ok: false, error: "the qemu runtime is not supported by this agent version yet" };
      const { ofport } = body.spec.runtime === "docker" ? await startDocker(run, bridge, body.spec, host.hostId) : await startNetns(run, bridge, body.spec, host.netnsPrefix);
      return { ok: true, ofport };
    }
    if (body.runtime === "netns") await removeNetns(run, bridge, body.instanceId, host.netnsPrefix);
    if (body.runtime === "docker") await removeDocker(run, bridge, body.instanceId);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).slice(0, 2000) };
  }
}

/** The instances plugged into the VEB, as the console's drift check wants them. */
export async function inventoryOf(run: Runner, bridge: string | null): Promise<InstanceInventoryItem[]> {
  if (!bridge) return [];
  const out: InstanceInventoryItem[] = [];
  for (const b of await listBindings(run, bridge)) {
    const ofport = Number((await run("ovs-vsctl", ["get", "interface", b.port, "ofport"])).trim());
    if (Number.isInteger(ofport) && ofport > 0) out.push({ instanceId: b.instanceId, ofport, mac: b.mac, address: b.ip });
  }
  return out;
}
