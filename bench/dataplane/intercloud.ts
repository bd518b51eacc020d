/**
 * Across clouds (issue 15), a first look: the lab's internet topology (2 clouds × 2 hosts, dc1's
 * gateway behind 1:1 NAT, dc2's public), an instance on each cloud's non-gateway host and one on
 * dc1's gateway host. Side by side, per round: TCP throughput (iperf3, 5 s) inside one cloud (NVI,
 * zero overhead), across clouds (NVI through both gateways and wireguard-go), plain wireguard-go
 * between the two gateways' own stacks (the same tunnel without OVS), and the gateways' plain
 * internet path; ping round trips of the same paths. Needs root, iperf3, wireguard-go.
 *
 *   node --import tsx bench/dataplane/intercloud.ts [--rounds 2] [--seconds 5]
 */
import os from "node:os";
import { startDataplaneLab } from "../../infra/dataplane/src/index.ts";
import { tryRun } from "../../infra/lab/src/index.ts";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg("rounds", 2);
const SECONDS = arg("seconds", 5);
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const sh = (ns: string, cmd: string) => tryRun("ip", ["netns", "exec", ns, "sh", "-c", cmd], { timeoutMs: 60_000 });
const T = { tenantId: "org_bench", vpcId: "vpc_bench" };

const lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 2, topology: "internet" });
try {
  const a1 = await lab.instance({ name: "a1", host: "h2", ip: "10.30.0.2/24" }, T);
  const a2 = await lab.instance({ name: "a2", host: "h4", ip: "10.30.0.3/24" }, T);
  const a3 = await lab.instance({ name: "a3", host: "h1", ip: "10.30.0.4/24" }, T);
  const g1 = lab.state.hosts.find((h) => h.id === "h1")!;
  const g2 = lab.state.hosts.find((h) => h.id === "h3")!;
  // the plain tunnel: an address of each gateway's block on its own stack (what allowed-ips accepts)
  await sh(g1.ns, "ip addr add 100.65.1.250/32 dev lo");
  await sh(g2.ns, "ip addr add 100.65.3.250/32 dev lo");
  await sh(a1.ns, "ping -c2 -W2 10.30.0.3; ping -c2 -W2 10.30.0.4");
  const paths: { label: string; server: string; client: string; ip: string; bind?: string }[] = [
    { label: "NVI inside one cloud (h2 -> h1)", server: a3.ns, client: a1.ns, ip: "10.30.0.4" },
    { label: "NVI across clouds (h2 -> G1 -> wg -> G2 -> h4)", server: a2.ns, client: a1.ns, ip: "10.30.0.3" },
    {
      label: "plain wireguard-go, G1 stack -> G2 stack",
      server: g2.ns,
      client: g1.ns,
      ip: "100.65.3.250",
      bind: "100.65.1.250",
    },
    { label: "plain internet, G1 -> G2 public", server: g2.ns, client: g1.ns, ip: g2.gateway!.publicIp },
  ];
  for (const p of paths) {
    const from = p.bind ? `-I ${p.bind} ` : "";
    const out = (await sh(p.client, `ping -c 20 -i 0.05 -q ${from}${p.ip} | tail -1`)).out.trim();
    console.log(`rtt  ${p.label}: ${out.replace(/^rtt /, "")} (load ${load()})`);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const p of paths) {
      await sh(p.server, `iperf3 -s -D -1 -p 5201 ${p.bind ? "-B " + p.ip : ""}`);
      await new Promise((r) => setTimeout(r, 500));
      const bind = p.bind ? `-B ${p.bind}` : "";
      const out = (await sh(p.client, `iperf3 -c ${p.ip} ${bind} -p 5201 -t ${SECONDS} -J`)).out;
      const j = JSON.parse(out.slice(out.indexOf("{"))) as {
        end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits: number } };
      };
      const gbps = ((j.end?.sum_received?.bits_per_second ?? NaN) / 1e9).toFixed(3);
      console.log(
        `tcp  r${round} ${p.label}: ${gbps} Gbit/s, retransmits ${j.end?.sum_sent?.retransmits ?? "?"} (load ${load()})`,
      );
    }
  }
} finally {
  await lab.down();
}
