import type {
  CommandResult,
  HostCommandBody,
  InstanceInventoryItem,
  InstanceRuntime,
  InstanceSpec,
} from "@nvi/contracts";
import { runGuestProbe } from "./guest-probe.ts";
import { runProbe } from "./probe.ts";
import { runTrace } from "./trace.ts";
import { containerName, removeDocker, resumeDocker, startDocker, stopDocker } from "./runtimes/docker.ts";
import { readDockerLogs } from "./runtimes/docker-logs.ts";
import { localStreamsRunner, type StreamsRunner } from "./runner.ts";
import { removeNetns, resumeNetns, startNetns, stopNetns } from "./runtimes/netns.ts";
import { txChecksumOff } from "./runtimes/offload.ts";
import { qemuForHost, removeQemu, resumeQemu, startQemu, stopQemu, type QemuConfig } from "./runtimes/qemu.ts";
import { listBindings, type Runner } from "./veb.ts";

/** Where a runtime runs: the command runner, the VEB, this host's id and the agent's namespace prefix. */
export interface RuntimeHost {
  run: Runner;
  bridge: string;
  hostId: string;
  netnsPrefix?: string;
  /** set when this host can run VMs (QEMU and a guest image directory) */
  qemu?: QemuConfig;
  /** this host's instances talk across clouds (the heartbeat's answer): instances start without checksum offload */
  crossCloud?: boolean;
  /** commands whose stderr matters or that run long (docker pull, docker logs); default: the local one */
  streams?: StreamsRunner;
}

/**
 * What each runtime does for each command, all idempotent (delivery is at least once):
 * `start` creates and plugs (a launch), `stop` stops the workload and answers with the VEB port it
 * keeps (if any), `resume` starts a stopped instance again (re-creating it if the host lost it),
 * `remove` unplugs and deletes. A new runtime is one file in runtimes/ and one entry here.
 */
export interface RuntimeDriver {
  start(h: RuntimeHost, spec: InstanceSpec): Promise<{ ofport: number }>;
  stop(h: RuntimeHost, instanceId: string): Promise<{ ofport?: number }>;
  resume(h: RuntimeHost, spec: InstanceSpec): Promise<{ ofport: number }>;
  remove(h: RuntimeHost, instanceId: string): Promise<void>;
}

export const RUNTIME_DRIVERS: Partial<Record<InstanceRuntime, RuntimeDriver>> = {
  netns: {
    start: (h, spec) => startNetns(h.run, h.bridge, spec, h.netnsPrefix),
    stop: (h, id) => stopNetns(h.run, h.bridge, id, h.netnsPrefix),
    resume: (h, spec) => resumeNetns(h.run, h.bridge, spec, h.netnsPrefix),
    remove: (h, id) => removeNetns(h.run, h.bridge, id, h.netnsPrefix),
  },
  docker: {
    start: (h, spec) => startDocker(h.run, h.bridge, spec, h.hostId, h.streams),
    stop: (h, id) => stopDocker(h.run, h.bridge, id),
    resume: (h, spec) => resumeDocker(h.run, h.bridge, spec, h.hostId, h.streams),
    remove: (h, id) => removeDocker(h.run, h.bridge, id),
  },
  qemu: {
    start: (h, spec) => startQemu(h.run, h.bridge, spec, qemuOf(h)),
    stop: async (h, id) => {
      await stopQemu(id, qemuOf(h));
      return {};
    },
    // a VM this host lost (its definition is gone) is booted again from the spec
    resume: (h, spec) =>
      resumeQemu(h.run, h.bridge, spec.instanceId, qemuOf(h)).catch(() => startQemu(h.run, h.bridge, spec, qemuOf(h))),
    remove: (h, id) => (h.qemu ? removeQemu(h.run, h.bridge, id, h.qemu) : Promise.resolve()),
  },
};

function qemuOf(h: RuntimeHost): QemuConfig {
  if (!h.qemu) throw new Error("this agent has no qemu runtime configured");
  return qemuForHost(h.qemu, h.crossCloud === true);
}

const runtimeOf = (
  body: Exclude<HostCommandBody, { kind: "instance.probe" | "veb.trace" | "instance.logs" }>,
): InstanceRuntime => ("spec" in body ? body.spec.runtime : body.runtime);

/**
 * Runs one command from the console on this host. Runtimes this agent cannot drive answer with a
 * clear error instead of guessing (removing one is a no-op: nothing of it can exist here).
 */
export async function runCommand(
  run: Runner,
  bridge: string | null,
  body: HostCommandBody,
  host: { hostId: string; netnsPrefix?: string; qemu?: QemuConfig; crossCloud?: boolean; streams?: StreamsRunner },
  drivers: Partial<Record<InstanceRuntime, RuntimeDriver>> = RUNTIME_DRIVERS,
): Promise<CommandResult> {
  if (!bridge)
    return { ok: false, error: "this agent does not own a VEB (set NVI_CONTROLLER): it cannot plug instances" };
  if (body.kind === "instance.probe") {
    try {
      // a VM's probe is sent by its own kernel, through its guest agent; the others' from their namespace
      const probe =
        body.probe.runtime === "qemu"
          ? await runGuestProbe(body.probe, qemuOf({ run, bridge, ...host }).vmDir)
          : await runProbe(run, body.probe, host.netnsPrefix);
      return { ok: true, probe };
    } catch (e) {
      return { ok: false, error: (e instanceof Error ? e.message : String(e)).slice(0, 2000) };
    }
  }
  if (body.kind === "veb.trace") {
    try {
      return { ok: true, trace: await runTrace(run, bridge, body.trace) };
    } catch (e) {
      return { ok: false, error: (e instanceof Error ? e.message : String(e)).slice(0, 2000) };
    }
  }
  if (body.kind === "instance.logs") {
    if (body.runtime !== "docker") return { ok: false, error: `a ${body.runtime} instance has no container logs` };
    try {
      const streams = host.streams ?? localStreamsRunner;
      return { ok: true, logs: await readDockerLogs(streams, containerName(body.instanceId), body.lines) };
    } catch (e) {
      return { ok: false, error: (e instanceof Error ? e.message : String(e)).slice(0, 2000) };
    }
  }
  const runtime = runtimeOf(body);
  const driver = drivers[runtime];
  if (!driver)
    return body.kind === "instance.remove"
      ? { ok: true }
      : { ok: false, error: `the ${runtime} runtime is not supported by this agent version yet` };
  const h: RuntimeHost = { run, bridge, ...host };
  try {
    switch (body.kind) {
      case "instance.start":
      case "instance.resume": {
        const plugged =
          body.kind === "instance.start" ? await driver.start(h, body.spec) : await driver.resume(h, body.spec);
        if (host.crossCloud) await txChecksumOff(run, runtime, body.spec.instanceId, host.netnsPrefix);
        return { ok: true, ...plugged };
      }
      case "instance.stop":
        return { ok: true, ...(await driver.stop(h, body.instanceId)) };
      case "instance.remove":
        await driver.remove(h, body.instanceId);
        return { ok: true };
    }
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
    if (Number.isInteger(ofport) && ofport > 0)
      out.push({ instanceId: b.instanceId, ofport, mac: b.mac, address: b.ip });
  }
  return out;
}
