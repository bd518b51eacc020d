import type { InstanceSpec } from "@nvi/contracts";
import { listBindings, ofportOf, plugPort, unplugPort, type Runner } from "../veb.ts";

/**
 * The light runtime: an instance is a network namespace with eth0 (its MAC, its address, the
 * subnet's gateway as default route, MTU 1500) whose peer is a port of the VEB. Names derive from
 * the instance id, so every step can be repeated: a retried command finds the work done.
 */
export const netnsName = (instanceId: string, prefix = "nvi-"): string => `${prefix}${instanceId}`;
/** Host side of the veth: at most 15 characters. */
export const hostIfName = (instanceId: string): string => `nv${instanceId.slice(-10)}`;

async function exists(run: Runner, cmd: string, args: string[]): Promise<boolean> {
  return run(cmd, args).then(
    () => true,
    () => false,
  );
}

export async function startNetns(
  run: Runner,
  bridge: string,
  spec: InstanceSpec,
  prefix?: string,
): Promise<{ ofport: number }> {
  const ns = netnsName(spec.instanceId, prefix);
  const port = hostIfName(spec.instanceId);
  const plugged = (await listBindings(run, bridge)).find((b) => b.instanceId === spec.instanceId);
  if (plugged && (await exists(run, "ip", ["netns", "exec", ns, "true"])))
    return { ofport: await ofportOf(run, plugged.port) };
  // a half-made instance (crash mid-way): start again from nothing
  if (plugged) await unplugPort(run, bridge, plugged.port);
  await run("ip", ["netns", "del", ns]).catch(() => undefined);
  await run("ip", ["link", "del", port]).catch(() => undefined);
  await run("ip", ["netns", "add", ns]);
  await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
  await run("ip", ["link", "add", port, "mtu", "1500", "type", "veth", "peer", "name", "eth0", "netns", ns]);
  await run("ip", ["-n", ns, "link", "set", "eth0", "address", spec.mac, "mtu", "1500", "up"]);
  await run("ip", ["-n", ns, "addr", "add", `${spec.address}/${spec.prefixLen}`, "dev", "eth0"]);
  await run("ip", ["-n", ns, "route", "add", "default", "via", spec.gateway, "dev", "eth0"]);
  await run("ip", ["link", "set", port, "up"]);
  await plugPort(run, bridge, { port, instanceId: spec.instanceId, mac: spec.mac, ip: spec.address });
  return { ofport: await ofportOf(run, port) };
}

export async function removeNetns(run: Runner, bridge: string, instanceId: string, prefix?: string): Promise<void> {
  const plugged = (await listBindings(run, bridge)).find((b) => b.instanceId === instanceId);
  if (plugged) await unplugPort(run, bridge, plugged.port);
  await run("ip", ["netns", "del", netnsName(instanceId, prefix)]).catch(() => undefined);
  await run("ip", ["link", "del", hostIfName(instanceId)]).catch(() => undefined);
}

/**
 * Stop: the instance's processes get SIGTERM and its eth0 goes down (the VEB side loses carrier);
 * the namespace, its address, MAC and the VEB port stay, so a start is quick and the port number
 * usually survives. Answers with the port it keeps. A namespace that is gone has nothing to stop.
 */
export async function stopNetns(
  run: Runner,
  bridge: string,
  instanceId: string,
  prefix?: string,
): Promise<{ ofport?: number }> {
  const ns = netnsName(instanceId, prefix);
  if (!(await exists(run, "ip", ["netns", "exec", ns, "true"]))) return {};
  const pids = (await run("ip", ["netns", "pids", ns])).split(/\s+/).filter(Boolean);
  if (pids.length > 0) await run("kill", ["-TERM", ...pids]).catch(() => undefined);
  await run("ip", ["-n", ns, "link", "set", "eth0", "down"]).catch(() => undefined);
  const plugged = (await listBindings(run, bridge)).find((b) => b.instanceId === instanceId);
  const ofport = plugged ? Number((await run("ovs-vsctl", ["get", "interface", plugged.port, "ofport"])).trim()) : 0;
  return ofport > 0 ? { ofport } : {};
}

/**
 * Start a stopped instance: re-created from the spec if the host lost it (startNetns), then eth0
 * up and the default route back (the kernel dropped it when the link went down). Idempotent.
 */
export async function resumeNetns(
  run: Runner,
  bridge: string,
  spec: InstanceSpec,
  prefix?: string,
): Promise<{ ofport: number }> {
  const ns = netnsName(spec.instanceId, prefix);
  const { ofport } = await startNetns(run, bridge, spec, prefix);
  await run("ip", ["-n", ns, "link", "set", "eth0", "up"]);
  await run("ip", ["-n", ns, "route", "replace", "default", "via", spec.gateway, "dev", "eth0"]);
  return { ofport };
}
