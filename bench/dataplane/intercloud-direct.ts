/**
 * Trusted direct links (issue 15, packages/controller README "Trusted direct links"): the lab's internet
 * topology (2 clouds × 2 hosts) plus a private interconnect between the two edges (infra/lab
 * `interconnect`), dc1–dc2 declared direct. Side by side, per round, between an instance on h2 (dc1)
 * and one on h4 (dc2):
 * - NVI across the clouds over the direct link (h2 → G1 → interconnect → G2 → h4, four userspace VEBs,
 *   no tunnel, no byte added);
 * - an Open vSwitch userspace VXLAN tunnel between the same two hosts over the same interconnect (the
 *   baseline of `run.ts`: MTU 1450, TX offload off; for it, and only for it, the edges route h2's and
 *   h4's own fabric addresses across the interconnect, which a real overlay would need).
 * TCP throughput (iperf3, one stream), new TCP connections per second against one server port (ab, 20
 * at once), ping round trips. The lab's instances in this topology have TX checksum offload off (as the
 * VXLAN baseline's); `--offload` turns it back on for the NVI pair (no gateway stack on the direct path
 * completes a checksum, so it may stay on, as inside one cloud). Needs root, iperf3, ab, ethtool.
 *
 *   node --import tsx bench/dataplane/intercloud-direct.ts [--rounds 3] [--seconds 5] [--conn-seconds 20] [--offload]
 */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import { startDataplaneLab } from "../../infra/dataplane/src/index.ts";
import { interconnect } from "../../infra/lab/src/index.ts";
import { arg, connectionsPerSecond, load, sh } from "./cli.ts";
import { rxPackets } from "../../infra/dataplane/src/probes.ts";
import { vxlanPair, type Endpoint } from "./baselines.ts";

const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 5);
const CONN_SECONDS = arg("conn-seconds", 20);
const OFFLOAD = process.argv.includes("--offload");
const T = { tenantId: "org_bench", vpcId: "vpc_bench" };

async function throughput(client: Endpoint, server: Endpoint): Promise<number> {
  await sh(server.ns, "iperf3 -s -D -1 -p 5201");
  await new Promise((r) => setTimeout(r, 500));
  const out = (await sh(client.ns, `iperf3 -c ${server.ip} -p 5201 -t ${SECONDS} -J`)).out;
  try {
    const j = JSON.parse(out.slice(out.indexOf("{"))) as { end?: { sum_received?: { bits_per_second: number } } };
    return (j.end?.sum_received?.bits_per_second ?? NaN) / 1e9;
  } catch {
    return NaN;
  }
}

const lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 2, topology: "internet" });
const servers: ChildProcess[] = [];
try {
  console.log(`load average at start: ${load()}, ${os.cpus().length} CPUs, NVI offload ${OFFLOAD ? "on" : "off"}`);
  const a1 = await lab.instance({ name: "a1", host: "h2", ip: "10.30.0.2/24" }, T);
  const a2 = await lab.instance({ name: "a2", host: "h4", ip: "10.30.0.3/24", server: false }, T);
  const ix = await interconnect(lab.state, [1, 2]);
  await lab.mapping.setDirectLinks([["dc1", "dc2"]]);
  const [h2, h4] = ["h2", "h4"].map((id) => lab.state.hosts.find((h) => h.id === id)!);
  // the overlay baseline's own need: the two hosts' addresses routed across the interconnect
  const [e1, e2] = ix.ends;
  await sh(e1!.ns, `ip route add ${h4!.fabricIp}/32 via 198.51.100.2 dev ${e1!.ifname}`);
  await sh(e2!.ns, `ip route add ${h2!.fabricIp}/32 via 198.51.100.1 dev ${e2!.ifname}`);
  const vx = await vxlanPair(lab.state, h2!, h4!);
  if (OFFLOAD) for (const i of [a1, a2]) await sh(i.ns, "ethtool -K eth0 tx on");
  const nvi = { client: { ns: a1.ns, ip: a1.ip }, server: { ns: a2.ns, ip: a2.ip } };
  const paths = { nvi, vxlan: vx };
  for (const [name, p] of Object.entries(paths)) {
    const http = `require("http").createServer((q, r) => r.end("ok\\n")).listen(80)`;
    servers.push(spawn("ip", ["netns", "exec", p.server.ns, process.execPath, "-e", http], { stdio: "ignore" }));
    const out = (await sh(p.client.ns, `ping -c 20 -i 0.05 -q ${p.server.ip} | tail -1`)).out.trim();
    console.log(`rtt  ${name}: ${out.replace(/^rtt /, "")} (load ${load()})`);
  }
  const wire = await rxPackets(e2!.ns, e2!.ifname);
  console.log(`interconnect packets so far (dc1 → dc2): ${wire}`);
  await new Promise((r) => setTimeout(r, 1_000));
  for (let round = 1; round <= ROUNDS; round++) {
    // alternate which path goes first, so a drift in the machine's load does not favour one
    const order = round % 2 === 1 ? (["nvi", "vxlan"] as const) : (["vxlan", "nvi"] as const);
    const gbps: Record<string, number> = {};
    for (const name of order) gbps[name] = await throughput(paths[name].client, paths[name].server);
    console.log(
      `tcp  r${round}: NVI direct ${gbps.nvi!.toFixed(3)} Gbit/s, VXLAN ${gbps.vxlan!.toFixed(3)} Gbit/s, NVI/VXLAN ${(gbps.nvi! / gbps.vxlan!).toFixed(2)}× (target ≥ 4×; load ${load()})`,
    );
    const cps: Record<string, { rps: number; text: string }> = {};
    for (const name of order)
      cps[name] = await connectionsPerSecond(paths[name].client.ns, `http://${paths[name].server.ip}/`, CONN_SECONDS);
    console.log(
      `conn r${round}: NVI direct ${cps.nvi!.text}, VXLAN ${cps.vxlan!.text}, NVI/VXLAN ${(cps.nvi!.rps / cps.vxlan!.rps).toFixed(2)}× (${CONN_SECONDS} s each; load ${load()})`,
    );
  }
  console.log(
    `TSC: ${JSON.stringify({ setups: lab.mapping.stats().setups, packetIns: lab.mapping.stats().packetIns })}`,
  );
} finally {
  for (const s of servers) s.kill();
  await lab.down();
}
