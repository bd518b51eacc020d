/**
 * The two baselines the NVI path is measured against, built inside a running lab:
 * - VXLAN: an Open vSwitch VXLAN tunnel between the same two lab hosts, on the same userspace
 *   datapath (a second bridge `vx0` per host with a vxlan port; the outer packets go through the
 *   host stack on the VEB's LOCAL port, i.e. the TSC's host plumbing). Instances at MTU 1450 with
 *   tx offload off: OVS 3.1 userspace cannot tunnel offloaded packets (notes/probe-conntrack-pair-blocks.md).
 * - veth: two namespaces joined by a bare veth pair (the machine's limit).
 * Every namespace is named `<lab>-i-…`, so `lab down` sweeps whatever a crash leaves behind.
 */
import { run, tryRun, vsctl, type HostState, type LabState } from "../../infra/lab/src/index.ts";

export interface Endpoint {
  ns: string;
  ip: string;
}

const ip = (...args: string[]): Promise<string> => run("ip", args);
const inNs = (ns: string, ...args: string[]): Promise<string> => run("ip", ["netns", "exec", ns, ...args]);

async function namespace(ns: string): Promise<void> {
  await ip("netns", "add", ns);
  await ip("-n", ns, "link", "set", "lo", "up");
  await inNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
}

/** VXLAN between hosts a and b; returns the client (on a) and server (on b) instance. */
export async function vxlanPair(
  state: LabState,
  a: HostState,
  b: HostState,
): Promise<{ client: Endpoint; server: Endpoint }> {
  const ends: Endpoint[] = [];
  for (const [h, peer, n] of [
    [a, b, 2],
    [b, a, 3],
  ] as const) {
    const ns = `${state.name}-i-vx${n}`;
    await vsctl(
      h.ovsDir,
      "add-br",
      "vx0",
      "--",
      "set",
      "bridge",
      "vx0",
      "datapath_type=netdev",
      "fail_mode=standalone",
      "--",
      "add-port",
      "vx0",
      "vxl0",
      "--",
      "set",
      "interface",
      "vxl0",
      "type=vxlan",
      `options:remote_ip=${peer.fabricIp}`,
      `options:local_ip=${h.fabricIp}`,
      "options:key=42",
    );
    await namespace(ns);
    await ip("-n", h.ns, "link", "add", `vxp${n}`, "type", "veth", "peer", "name", "eth0", "netns", ns);
    await ip("-n", ns, "link", "set", "eth0", "mtu", "1450", "up");
    await ip("-n", ns, "addr", "add", `10.31.0.${n}/24`, "dev", "eth0");
    await inNs(ns, "ethtool", "-K", "eth0", "tx", "off").catch(async () => {
      // no ethtool: fall back to the same effect through the kernel's feature flags is not possible; say so
      throw new Error("ethtool is needed for the VXLAN baseline (apt-get install ethtool)");
    });
    await ip("-n", h.ns, "link", "set", `vxp${n}`, "up");
    await vsctl(h.ovsDir, "add-port", "vx0", `vxp${n}`);
    // the tunnel needs the peer's MAC: let the host stack resolve it (OVS snoops it), and pin it
    await tryRun("ip", ["netns", "exec", h.ns, "ping", "-c", "1", "-W", "1", peer.fabricIp]);
    await tryRun("ip", [
      "netns",
      "exec",
      h.ns,
      "env",
      `OVS_RUNDIR=${h.ovsDir}`,
      "ovs-appctl",
      "-t",
      `${h.ovsDir}/ovs-vswitchd.ctl`,
      "tnl/neigh/set",
      h.bridge,
      peer.fabricIp,
      peer.fabricMac,
    ]);
    ends.push({ ns, ip: `10.31.0.${n}` });
  }
  return { client: ends[0]!, server: ends[1]! };
}

/** Two namespaces on a bare veth pair. */
export async function vethPair(state: LabState): Promise<{ client: Endpoint; server: Endpoint }> {
  const c = `${state.name}-i-ve1`;
  const s = `${state.name}-i-ve2`;
  await namespace(c);
  await namespace(s);
  await ip("-n", c, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", s);
  await ip("-n", c, "addr", "add", "10.32.0.1/24", "dev", "eth0");
  await ip("-n", s, "addr", "add", "10.32.0.2/24", "dev", "eth0");
  await ip("-n", c, "link", "set", "eth0", "up");
  await ip("-n", s, "link", "set", "eth0", "up");
  return { client: { ns: c, ip: "10.32.0.1" }, server: { ns: s, ip: "10.32.0.2" } };
}
