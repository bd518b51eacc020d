import { existsSync } from "node:fs";
import { guardPort, unguardPort } from "./port-guard.ts";
import type { Runner } from "./runner.ts";

export { localRunner, withUnixctl, type Runner } from "./runner.ts";

export interface VebConfig {
  bridge: string;
  /** OpenFlow target of the TSC, e.g. `tcp:198.18.0.1:6653`; null leaves the bridge's controller alone. */
  controller: string | null;
  /** Local ports the host's own sockets must never use, because mapping keys live there (e.g. `40000-49999`). */
  reservedPorts: string | null;
}

export interface VebFacts {
  bridge: string;
  datapathId: string;
  datapathType: string;
  failMode: string;
  controller: string | null;
  reservedPorts: string;
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, "$1");

/** The kernel datapath when the openvswitch module is loaded, else the userspace one. */
export function preferredDatapath(moduleLoaded = existsSync("/sys/module/openvswitch")): "system" | "netdev" {
  return moduleLoaded ? "system" : "netdev";
}

/**
 * How long a VEB waits at most between attempts to reach its TSC (Open vSwitch's default backs off
 * to 8 s: after a worker restart, the operations waiting for its VEBs waited that long; issue 18).
 */
export const CONTROLLER_MAX_BACKOFF_MS = 1_000;

/**
 * Makes the VEB bridge what it must be, without disturbing a bridge that already is:
 * created only when missing, fail_mode=secure (nothing new is forwarded while the TSC
 * is away), OpenFlow 1.3, in-band control off, and the controller set only when it
 * differs (setting it makes Open vSwitch drop every flow). Idempotent: an agent
 * restart leaves traffic alone.
 */
export async function ensureVeb(run: Runner, config: VebConfig, datapath = preferredDatapath()): Promise<VebFacts> {
  const { bridge } = config;
  const exists = await run("ovs-vsctl", ["br-exists", bridge]).then(
    () => true,
    () => false,
  );
  if (!exists) await run("ovs-vsctl", ["add-br", bridge, "--", "set", "bridge", bridge, `datapath_type=${datapath}`]);
  await run("ovs-vsctl", [
    "set",
    "bridge",
    bridge,
    "fail_mode=secure",
    "protocols=OpenFlow13",
    "other_config:disable-in-band=true",
  ]);
  const current = (await run("ovs-vsctl", ["get-controller", bridge])).trim() || null;
  if (config.controller && current !== config.controller)
    await run("ovs-vsctl", ["set-controller", bridge, config.controller]);
  if (config.controller) {
    const backoff = (await run("ovs-vsctl", ["get", "controller", bridge, "max_backoff"])).trim();
    if (backoff !== String(CONTROLLER_MAX_BACKOFF_MS))
      await run("ovs-vsctl", ["set", "controller", bridge, `max_backoff=${CONTROLLER_MAX_BACKOFF_MS}`]);
  }
  if (config.reservedPorts)
    await run("sysctl", ["-q", "-w", `net.ipv4.ip_local_reserved_ports=${config.reservedPorts}`]);
  return readVeb(run, bridge);
}

export async function readVeb(run: Runner, bridge: string): Promise<VebFacts> {
  const get = async (column: string) => unquote(await run("ovs-vsctl", ["get", "bridge", bridge, column]));
  const [datapathId, datapathType, failMode, controller, reserved] = await Promise.all([
    get("datapath_id"),
    get("datapath_type"),
    get("fail_mode"),
    run("ovs-vsctl", ["get-controller", bridge]),
    run("sysctl", ["-n", "net.ipv4.ip_local_reserved_ports"]),
  ]);
  return {
    bridge,
    datapathId,
    datapathType,
    failMode,
    controller: controller.trim() || null,
    reservedPorts: reserved.trim(),
  };
}

export interface PortBinding {
  port: string;
  instanceId: string;
  mac: string;
  ip: string;
}

/** The OpenFlow port number Open vSwitch gave an interface (assigned asynchronously: waits up to 5 s). */
export async function ofportOf(run: Runner, port: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const n = Number((await run("ovs-vsctl", ["get", "interface", port, "ofport"])).trim());
    if (Number.isInteger(n) && n > 0) return n;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} got no OpenFlow port number`);
}

/**
 * Adds an instance's interface to the VEB with what the TSC binds it to (anti-spoofing: port ↔ MAC ↔
 * IP), after keeping it out of the host's own stack (`port-guard.ts`): a port that cannot be guarded
 * is not plugged.
 */
export async function plugPort(run: Runner, bridge: string, binding: PortBinding): Promise<void> {
  await guardPort(run, bridge, binding.port);
  await run("ovs-vsctl", [
    "--may-exist",
    "add-port",
    bridge,
    binding.port,
    "--",
    "set",
    "interface",
    binding.port,
    `external_ids:nvi-instance=${binding.instanceId}`,
    `external_ids:attached-mac="${binding.mac}"`,
    `external_ids:nvi-ip="${binding.ip}"`,
  ]);
}

/**
 * Takes a port off the VEB and forgets its conntrack zone (the TSC uses the OpenFlow port number as
 * the zone of what is delivered to it): a later instance given the same port number must not
 * inherit replies the previous one was allowed. Flushing is best effort (an older OVS, no zone yet).
 * The port's guard chain goes too (after the port left the bridge, so no frame reaches the stack).
 */
export async function unplugPort(run: Runner, bridge: string, port: string): Promise<void> {
  const ofport = Number(
    (await run("ovs-vsctl", ["--if-exists", "get", "interface", port, "ofport"]).catch(() => "")).trim(),
  );
  await run("ovs-vsctl", ["--if-exists", "del-port", bridge, port]);
  await unguardPort(run, port);
  if (Number.isInteger(ofport) && ofport > 0 && ofport < 0xff00)
    await run("ovs-appctl", ["dpctl/flush-conntrack", `zone=${ofport}`]).catch(() => undefined);
}

/** The instance ports on the bridge, as recorded by plugPort (other ports are ignored). */
export async function listBindings(run: Runner, bridge: string): Promise<PortBinding[]> {
  const ports = (await run("ovs-vsctl", ["list-ports", bridge])).split("\n").filter(Boolean);
  const out: PortBinding[] = [];
  for (const port of ports) {
    const ids = await run("ovs-vsctl", ["get", "interface", port, "external_ids"]);
    const field = (key: string) => ids.match(new RegExp(`${key}="?([^",}]+)"?`))?.[1];
    const instanceId = field("nvi-instance");
    if (instanceId) out.push({ port, instanceId, mac: field("attached-mac") ?? "", ip: field("nvi-ip") ?? "" });
  }
  return out;
}
