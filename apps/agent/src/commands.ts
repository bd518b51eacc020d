import type { CommandResult, HostCommandBody, InstanceInventoryItem } from "@nvi/contracts";
import { runProbe } from "./probe.ts";
import { removeDocker, startDocker } from "./runtimes/docker.ts";
import { removeNetns, startNetns } from "./runtimes/netns.ts";
import { removeQemu, startQemu, type QemuConfig } from "./runtimes/qemu.ts";
import { listBindings, type Runner } from "./veb.ts";

/**
 * Runs one command from the console on this host. Every command is idempotent (delivery is at
 * least once). Runtimes this agent cannot drive answer with a clear error instead of guessing.
 */
export async function runCommand(run: Runner, bridge: string | null, body: HostCommandBody, host: { hostId: string; netnsPrefix?: string; qemu?: QemuConfig }): Promise<CommandResult> {
  if (!bridge) return { ok: false, error: "this agent does not own a VEB (set NVI_CONTROLLER): it cannot plug instances" };
  try {
    if (body.kind === "instance.probe") return { ok: true, probe: await runProbe(run, body.probe, host.netnsPrefix) };
    if (body.kind === "instance.start") {
      const { spec } = body;
      if (spec.runtime === "qemu" && !host.qemu) return { ok: false, error: "this agent has no qemu runtime configured" };
      const { ofport } =
        spec.runtime === "qemu" && host.qemu ? await startQemu(run, bridge, spec, host.qemu)
        : spec.runtime === "docker" ? await startDocker(run, bridge, spec, host.hostId)
        : await startNetns(run, bridge, spec, host.netnsPrefix);
      return { ok: true, ofport };
    }
    if (body.runtime === "qemu" && host.qemu) await removeQemu(run, bridge, body.instanceId, host.qemu);
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
