import { writeFile } from "node:fs/promises";
import path from "node:path";
import { inNs, ipIn, run } from "./exec.ts";
import { LabError } from "./errors.ts";
import type { LabPlan } from "./plan.ts";
import type { LabState } from "./state.ts";

/**
 * The "internet" topology (issue 15): datacenters are separate clouds joined by an internet
 * namespace, each behind an edge router of its own; nothing routes instance blocks between them.
 * The first host of each datacenter is its gateway: dc1's sits behind the edge's 1:1 NAT (only a
 * private address on the host, a public one mapped by the edge, ports preserved); dc3's behind a
 * NAT that rewrites ports (the office's carrier NAT: the edge masquerades everything with random
 * source ports and forwards nothing in, so its public address is the edge's own); the others have
 * a public address on a NIC of their own (`wan0`).
 *
 *   internet namespace NAME-net: Linux bridge br0, 203.0.113.0/24 (TEST-NET-3: never routed for real)
 *   edge router of datacenter d: NAME-e<d>, leg dc<d> = 100.64.d.1 (the hosts' router), leg inet = 203.0.113.d
 *   gateway of host index k: public address 203.0.113.(100+k) (dc3: the edge's 203.0.113.3); WireGuard interface NAME + "w" + k
 *   the internet namespace itself holds 203.0.113.200 (someone on the internet)
 */
export const INTERNET_SUBNET = "203.0.113.0/24";
export const WG_PORT = 51820;
/** An address of the internet namespace itself: a host on the internet, not a gateway. */
export const INTERNET_HOST = "203.0.113.200";

export interface GatewayPlan {
  hostId: string;
  index: number;
  dc: number;
  /** nat: 1:1 at the edge, ports kept; napt: the edge rewrites ports (dc3); public: its own NIC */
  mode: "nat" | "napt" | "public";
  publicIp: string;
  /** the WireGuard interface its agent is told to use (NVI_WG_INTERFACE): names are per lab host */
  wgIf: string;
}

export interface InternetPlan {
  ns: string;
  subnet: string;
  edges: { dc: number; ns: string; publicIp: string }[];
  gateways: GatewayPlan[];
}

/** The datacenter behind a port-rewriting NAT (issue 15's office box). */
export const NAPT_DC = 3;
const MODE_OF_DC: Record<number, GatewayPlan["mode"]> = { 1: "nat", [NAPT_DC]: "napt" };

/** `gatewaysPerDc`: the first N hosts of each datacenter are its gateways (issue 15: several per cloud; behind the port-rewriting NAT, one). */
export function planInternet(plan: LabPlan, gatewaysPerDc = 1): InternetPlan {
  return {
    ns: `${plan.name}-net`,
    subnet: INTERNET_SUBNET,
    edges: plan.datacenters.map((d) => ({
      dc: d.index,
      ns: `${plan.name}-e${d.index}`,
      publicIp: `203.0.113.${d.index}`,
    })),
    gateways: plan.datacenters.flatMap((d) => {
      const first = d.index === NAPT_DC ? 1 : gatewaysPerDc;
      return plan.hosts
        .filter((x) => x.dc === d.index && x.indexInDc <= first)
        .map((h) => ({
          hostId: h.id,
          index: h.index,
          dc: d.index,
          mode: MODE_OF_DC[d.index] ?? ("public" as const),
          publicIp: d.index === NAPT_DC ? `203.0.113.${d.index}` : `203.0.113.${100 + h.index}`,
          wgIf: `${plan.name}w${h.index}`,
        }));
    }),
  };
}

const QUIET = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"];

async function addNs(ns: string, ...sysctls: string[]): Promise<void> {
  await run("ip", ["netns", "add", ns]);
  await ipIn(ns, "link", "set", "lo", "up");
  await inNs(ns, "sysctl", "-qw", ...QUIET, ...sysctls);
}

/**
 * The internet bridge, one edge router per datacenter (its dc leg is the datacenter's router, as
 * in the routed mode), 1:1 NAT on the edge of a NAT gateway, and public gateways' `wan0` NICs.
 */
export async function buildInternet(plan: LabPlan, net: InternetPlan, runDir: string): Promise<void> {
  await addNs(net.ns);
  await ipIn(net.ns, "link", "add", "br0", "type", "bridge", "stp_state", "0");
  await ipIn(net.ns, "link", "set", "br0", "up");
  // someone on the internet (what tests probe gateways from)
  await ipIn(net.ns, "addr", "add", `${INTERNET_HOST}/24`, "dev", "br0");
  await Promise.all(
    plan.datacenters.map(async (dc) => {
      const edge = net.edges.find((e) => e.dc === dc.index);
      if (!edge) return;
      await addNs(edge.ns, "net.ipv4.ip_forward=1");
      await addNs(dc.ns);
      await ipIn(dc.ns, "link", "add", "br0", "type", "bridge", "stp_state", "0");
      await ipIn(dc.ns, "link", "set", "br0", "up");
      const leg = ["link", "add", dc.routerIf, "address", dc.routerMac, "type", "veth", "peer", "name", "rt"];
      await ipIn(edge.ns, ...leg, "netns", dc.ns);
      await ipIn(dc.ns, "link", "set", "rt", "master", "br0", "up");
      await ipIn(edge.ns, "addr", "add", `${dc.routerIp}/24`, "dev", dc.routerIf);
      await ipIn(edge.ns, "link", "set", dc.routerIf, "up");
      await ipIn(edge.ns, "link", "add", "inet", "type", "veth", "peer", "name", `e${dc.index}`, "netns", net.ns);
      await ipIn(net.ns, "link", "set", `e${dc.index}`, "master", "br0", "up");
      await ipIn(edge.ns, "addr", "add", `${edge.publicIp}/24`, "dev", "inet");
      await ipIn(edge.ns, "link", "set", "inet", "up");
      const natted = net.gateways.filter((g) => g.dc === dc.index && g.mode === "nat");
      const rules = natted.map((g) => {
        const host = plan.hosts.find((h) => h.id === g.hostId);
        return { pub: g.publicIp, priv: host?.fabricIp ?? "" };
      });
      for (const r of rules) await ipIn(edge.ns, "addr", "add", `${r.pub}/32`, "dev", "inet");
      // the datacenter's hosts reach the internet masqueraded; a NAT gateway 1:1 both ways, ports kept
      await nftIn(edge.ns, path.join(runDir, `${edge.ns}.nft`), [
        "table ip nvi_edge {",
        "  chain pre { type nat hook prerouting priority dstnat;",
        ...rules.map((r) => `    iifname "inet" ip daddr ${r.pub} dnat to ${r.priv}`),
        "  }",
        "  chain post { type nat hook postrouting priority srcnat;",
        ...rules.map((r) => `    oifname "inet" ip saddr ${r.priv} snat to ${r.pub}`),
        // behind the port-rewriting NAT every source port is a random one (never the host's own)
        `    oifname "inet" ip saddr ${dc.subnet} masquerade${dc.index === NAPT_DC ? " fully-random" : ""}`,
        "  }",
        "}",
      ]);
    }),
  );
}

/** A public gateway's own NIC on the internet (what a bare-metal server with a public address has). */
export async function wireWan(lab: string, hostNs: string, g: GatewayPlan): Promise<void> {
  if (g.mode !== "public") return;
  await ipIn(hostNs, "link", "add", "wan0", "type", "veth", "peer", "name", `g${g.index}`, "netns", `${lab}-net`);
  await ipIn(`${lab}-net`, "link", "set", `g${g.index}`, "master", "br0", "up");
  await ipIn(hostNs, "addr", "add", `${g.publicIp}/24`, "dev", "wan0");
  await ipIn(hostNs, "link", "set", "wan0", "up");
}

/** Loads an nftables ruleset into a namespace (through a file: the lab's `run` takes no input). */
export async function nftIn(ns: string, file: string, lines: readonly string[]): Promise<void> {
  await writeFile(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  await inNs(ns, "nft", "-f", file);
}

/** The private interconnect's point-to-point subnet between two edges (TEST-NET-2: never routed for real). */
export const INTERCONNECT_SUBNET = "198.51.100.0/30";

/**
 * A private interconnect between two datacenters of the internet topology (what a trusted direct
 * link stands on: a leased line, a cloud's interconnect), as the edges' routers see it: a link
 * `ix<peer dc>` between the two edges, 198.51.100.1 and .2/30, and on each edge a route for every
 * gateway block of the other datacenter across it (what the interconnect's BGP would announce). No
 * other block crosses it, and nothing crosses the internet. Gone with the edges at the lab's
 * teardown; the returned function removes it earlier. Answers the interfaces, to capture on.
 */
export async function interconnect(
  state: LabState,
  dcs: readonly [number, number],
): Promise<{ ends: { ns: string; ifname: string }[]; remove: () => Promise<void> }> {
  const edges = dcs.map((dc) => state.internet?.edges.find((e) => e.dc === dc));
  const [ea, eb] = edges;
  if (!ea || !eb || dcs[0] === dcs[1]) throw new LabError(`no two edges of datacenters ${dcs.join(" and ")} to join`);
  const ifA = `ix${eb.dc}`;
  const ifB = `ix${ea.dc}`;
  await ipIn(ea.ns, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", eb.ns);
  const ends = [
    { edge: ea, ifname: ifA, ip: "198.51.100.1", peer: "198.51.100.2", far: eb.dc },
    { edge: eb, ifname: ifB, ip: "198.51.100.2", peer: "198.51.100.1", far: ea.dc },
  ];
  for (const end of ends) {
    await ipIn(end.edge.ns, "addr", "add", `${end.ip}/30`, "dev", end.ifname);
    await ipIn(end.edge.ns, "link", "set", end.ifname, "up");
    for (const g of state.hosts.filter((h) => h.dc === end.far && h.gateway))
      await ipIn(end.edge.ns, "route", "add", g.instanceBlock, "via", end.peer, "dev", end.ifname);
  }
  return {
    ends: ends.map((e) => ({ ns: e.edge.ns, ifname: e.ifname })),
    remove: async () => void (await ipIn(ea.ns, "link", "del", ifA)),
  };
}
