/**
 * Across clouds (issue 15): the lab's internet topology (2 clouds × 2 hosts, dc1's gateway behind 1:1
 * NAT, dc2's public), an instance on each cloud's non-gateway host and one on dc1's gateway host.
 * Side by side, per round:
 * - TCP throughput (iperf3, one stream) inside one cloud (NVI, zero overhead), across clouds (NVI
 *   through both gateways and wireguard-go), plain wireguard-go between the two gateways' own stacks
 *   (the same tunnel without OVS: what a NetBird-style mesh of routing peers at the gateways gives at
 *   best) and the gateways' plain internet path;
 * - new TCP connections per second against one server port (ab, 20 at once, no keep-alive) across
 *   clouds through NVI and through the plain tunnel;
 * - ping round trips of the four paths.
 * Then the first packet of brand-new pairs across clouds (a fresh instance each, one ping: the TSC
 * sets the pair up on four VEBs before the packet goes), against the tunnel's round trip (a mesh whose
 * tunnel is up sends a first packet at its round trip). Needs root, iperf3, ab, wireguard-go, nft, ethtool.
 *
 *   node --import tsx bench/dataplane/intercloud.ts [--rounds 3] [--seconds 5] [--conn-seconds 20] [--first 10] [--gro]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { startDataplaneLab } from "../../infra/dataplane/src/index.ts";
import { arg, connectionsPerSecond, load, sh } from "./cli.ts";

const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 5);
const CONN_SECONDS = arg("conn-seconds", 20);
const FIRST = arg("first", 10);
// `--gro`: generic receive offload on each gateway's `nvigk` (the VEB's tunnel port as the gateway's
// stack sees it), so a TCP stream's segments enter wireguard-go coalesced, as a local sender's do
const GRO = process.argv.includes("--gro");
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const T = { tenantId: "org_bench", vpcId: "vpc_bench" };

/**
 * CPU seconds so far of the long-lived processes on a packet's way, by name, and the machine's softirq
 * (kernel forwarding). iperf3's own share is not counted: both ends have exited when it is read.
 */
function cpuNow(): Map<string, number> {
  const out = new Map<string, number>();
  const hz = 100;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (!["ovs-vswitchd", "wireguard-go"].includes(name)) continue;
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / hz);
  }
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  out.set("softirq", Number(cpu[7]) / hz);
  return out;
}
/** Each one's share of a CPU since `before` was read at `since` (performance.now()). */
function cpuSince(before: Map<string, number>, since: number): string {
  const seconds = (performance.now() - since) / 1000;
  return [...cpuNow()]
    .map(([k, v]) => `${k} ${(((v - (before.get(k) ?? 0)) / seconds) * 100).toFixed(0)} %`)
    .join(", ");
}

const servers: ChildProcess[] = [];
const HTTP_JS = `require("http").createServer((q, r) => r.end("ok\\n")).listen(80, "0.0.0.0", () => console.log("ready"));`;
function http(ns: string): Promise<void> {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", HTTP_JS], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  servers.push(child);
  return new Promise((resolve) => child.stdout.once("data", () => setTimeout(resolve, 300)));
}

const lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 2, topology: "internet" });
try {
  console.log(`load average at start: ${load()}, ${os.cpus().length} CPUs`);
  const a1 = await lab.instance({ name: "a1", host: "h2", ip: "10.30.0.2/24" }, T);
  const a2 = await lab.instance({ name: "a2", host: "h4", ip: "10.30.0.3/24", server: false }, T);
  const a3 = await lab.instance({ name: "a3", host: "h1", ip: "10.30.0.4/24" }, T);
  const g1 = lab.state.hosts.find((h) => h.id === "h1")!;
  const g2 = lab.state.hosts.find((h) => h.id === "h3")!;
  // the plain tunnel: an address of each gateway's block on its own stack (what allowed-ips accepts)
  await sh(g1.ns, "ip addr add 100.65.1.250/32 dev lo");
  await sh(g2.ns, "ip addr add 100.65.3.250/32 dev lo");
  // a gateway's stack takes only pings from the tunnel and only WireGuard from the internet
  // (apps/agent gateway.ts); the baselines' servers on G2 are let in for the bench
  for (const [g, own] of [
    [g1, "100.65.1.250"],
    [g2, "100.65.3.250"],
  ] as const) {
    await sh(g.ns, `nft insert rule inet nvi_gw input iifname "${g.gateway!.wgIf}" ip daddr ${own} accept`);
    await sh(g.ns, "nft insert rule inet nvi_gw input tcp dport { 80, 5201 } accept");
    await sh(g.ns, "nft insert rule inet nvi_gw input icmp type echo-request accept");
  }
  for (const g of [g1, g2]) {
    if (GRO) await sh(g.ns, "ethtool -K nvigk gro on");
    console.log(
      `${g.id} nvigk: ${(await sh(g.ns, "ethtool -k nvigk | grep -E '^(generic-receive-offload|rx-gro-list|tcp-segmentation-offload):'")).out.replace(/\n/g, ", ")}`,
    );
  }
  // G1's connections to G2's tunnel-side server leave from G1's own bench address (ab cannot bind one)
  await sh(g1.ns, `ip route replace 100.65.3.250/32 dev ${g1.gateway!.wgIf} src 100.65.1.250`);
  await sh(a1.ns, "ping -c2 -W2 10.30.0.3; ping -c2 -W2 10.30.0.4");
  await http(a2.ns);
  await http(g2.ns);
  const paths: { label: string; server: string; client: string; ip: string; bind?: string; cps?: boolean }[] = [
    { label: "NVI inside one cloud (h2 -> h1)", server: a3.ns, client: a1.ns, ip: "10.30.0.4" },
    {
      label: "NVI across clouds (h2 -> G1 -> wg -> G2 -> h4)",
      server: a2.ns,
      client: a1.ns,
      ip: "10.30.0.3",
      cps: true,
    },
    {
      label: "plain wireguard-go, G1 stack -> G2 stack",
      server: g2.ns,
      client: g1.ns,
      ip: "100.65.3.250",
      bind: "100.65.1.250",
      cps: true,
    },
    { label: "plain internet, G1 -> G2 public", server: g2.ns, client: g1.ns, ip: g2.gateway!.publicIp },
  ];
  const rtt: Record<string, number> = {};
  for (const p of paths) {
    const from = p.bind ? `-I ${p.bind} ` : "";
    const out = (await sh(p.client, `ping -c 20 -i 0.05 -q ${from}${p.ip} | tail -1`)).out.trim();
    rtt[p.label] = Number(/= ([\d.]+)\//.exec(out)?.[1] ?? NaN);
    console.log(`rtt  ${p.label}: ${out.replace(/^rtt /, "")} (load ${load()})`);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const p of paths) {
      await sh(p.server, `iperf3 -s -D -1 -p 5201 ${p.bind ? "-B " + p.ip : ""}`);
      await new Promise((r) => setTimeout(r, 500));
      const bind = p.bind ? `-B ${p.bind}` : "";
      const [cpu0, t0] = [cpuNow(), performance.now()];
      const out = (await sh(p.client, `iperf3 -c ${p.ip} ${bind} -p 5201 -t ${SECONDS} -J`)).out;
      const cpu = cpuSince(cpu0, t0);
      type Iperf = { end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits: number } } };
      let j: Iperf = {};
      try {
        j = JSON.parse(out.slice(out.indexOf("{"))) as Iperf;
      } catch {
        console.log(`tcp  r${round} ${p.label}: iperf3 gave no result: ${out.trim().slice(0, 200)}`);
      }
      const gbps = ((j.end?.sum_received?.bits_per_second ?? NaN) / 1e9).toFixed(3);
      console.log(
        `tcp  r${round} ${p.label}: ${gbps} Gbit/s, retransmits ${j.end?.sum_sent?.retransmits ?? "?"} (load ${load()}; CPU: ${cpu})`,
      );
    }
    for (const p of paths.filter((x) => x.cps))
      console.log(
        `conn r${round} ${p.label}: ${(await connectionsPerSecond(p.client, `http://${p.ip}/`, CONN_SECONDS)).text}, ${CONN_SECONDS} s (load ${load()})`,
      );
  }
  // brand-new pairs: a fresh instance on h2 each time, its first ping to a2 on h4
  const first: number[] = [];
  let lost = 0;
  for (let k = 0; k < FIRST; k++) {
    const f = await lab.instance({ name: `f${k}`, host: "h2", ip: `10.30.0.${20 + k}/24`, server: false }, T);
    const out = (await sh(f.ns, "ping -c 1 -W 3 10.30.0.3")).out;
    const ms = /time=([\d.]+) ms/.exec(out)?.[1];
    if (ms === undefined) lost++;
    else first.push(Number(ms));
  }
  const tunnel = rtt["plain wireguard-go, G1 stack -> G2 stack"]!;
  console.log(
    `first packet of a new pair across clouds (NVI), ${FIRST} pairs: median ${median(first).toFixed(1)} ms, ` +
      `min ${Math.min(...first).toFixed(1)}, max ${Math.max(...first).toFixed(1)}, lost ${lost}; ` +
      `the plain tunnel's round trip (a mesh's first packet) ${tunnel.toFixed(2)} ms (load ${load()})`,
  );
} finally {
  for (const s of servers) s.kill();
  await lab.down();
}
