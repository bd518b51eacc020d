/**
 * Gateway failover (issue 15, "several gateways per cloud"): the lab's internet topology with two
 * gateways per cloud (2 clouds × 3 hosts: dc1's h1 and h2 behind 1:1 NAT, dc2's h4 and h5 public),
 * a1 on h3 and a2 on h6. Per round, a TCP echo stream (a numbered line every 50 ms) runs from a1 to
 * a2 for 5 s; 1 s in, the fabric link of the dc1 gateway carrying the pair is cut (`fab0` down: its
 * VEB stays connected, the TSC learns it from the port status), 3 s in it comes back (the pair may
 * return to it). The figure is the stream's longest wait between echoes (both moves inside it),
 * and whether it was reset. Needs root, wireguard-go.
 *
 *   node --import tsx bench/dataplane/failover.ts [--rounds 20]
 */
import os from "node:os";
import { startDataplaneLab } from "../../infra/dataplane/src/index.ts";
import { stream } from "../../infra/dataplane/src/probes.ts";
import { ofctl, run } from "../../infra/lab/src/index.ts";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg("rounds", 20);
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T = { tenantId: "org_bench", vpcId: "vpc_bench" };
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

const lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 3, topology: "internet", gatewaysPerDc: 2 });
try {
  const a1 = await lab.instance({ name: "a1", host: "h3", ip: "10.32.0.2/24" }, T);
  const a2 = await lab.instance({ name: "a2", host: "h6", ip: "10.32.0.3/24" }, T);
  const gw = (id: string) => lab.state.hosts.find((h) => h.id === id)!;
  const carrying = async (): Promise<string | undefined> => {
    for (const id of ["h1", "h2"]) {
      const flows = await ofctl(gw(id).ovsDir, "dump-flows", "veb0", "in_port=4000,ip").catch(() => "");
      if (/nw_src=100\.65\./.test(flows)) return id;
    }
    return undefined;
  };
  await run("ip", ["netns", "exec", a1.ns, "ping", "-c", "2", "-W", "2", a2.ip]);
  const gaps: number[] = [];
  let resets = 0;
  let lost = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const used = (await carrying()) ?? "h1";
    const fab = (state: "up" | "down") => run("ip", ["netns", "exec", gw(used).ns, "ip", "link", "set", "fab0", state]);
    const running = stream(a1.ns, a2.ip, 5_000);
    await sleep(1_000);
    await fab("down");
    await sleep(2_000);
    await fab("up");
    const r = await running;
    gaps.push(r.maxGapMs);
    if (r.error) resets++;
    lost += r.sent - r.echoed;
    console.log(
      `round ${round}: cut ${used}: longest wait ${r.maxGapMs} ms, ${r.echoed}/${r.sent} echoed, error ${r.error ?? "none"} (load ${load()})`,
    );
    await sleep(1_000);
  }
  console.log(
    `\n${ROUNDS} cuts: longest wait per stream p50 ${pct(gaps, 50)} ms, p99 ${pct(gaps, 99)} ms, max ${Math.max(...gaps)} ms; ` +
      `${resets} resets; ${lost} lines never echoed (load ${load()})`,
  );
} finally {
  await lab.down();
}
