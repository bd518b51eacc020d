/**
 * Noisy neighbour (issue 14): one tenant's instance floods brand-new conversations (hping3 --flood,
 * UDP to random addresses, as fast as it goes) while another tenant on the same host opens
 * brand-new pairs, each to a fresh address. Prints that tenant's time to first answer and
 * first-packet loss at rest and under the flood, side by side, with an established pair's round
 * trip (contention that has nothing to do with new pairs), what reached the TSC and the drop flows
 * the flooder's VEB held. Needs root and hping3.
 *
 *   node --import tsx bench/dataplane/noisy.ts [--pairs 100] [--flood-cpus 0.5]
 *
 * `--flood-cpus` caps the flooder the way a container's CPU limit would (cgroup v1 cpu quota);
 * without it the flooder takes a whole core, which on a 2-CPU machine is half of it.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { firstEcho, startDataplaneLab, startFlood, type DataplaneLab } from "../../infra/dataplane/src/index.ts";
import { ofctl, tryRun } from "../../infra/lab/src/index.ts";

const arg = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const PAIRS = arg("pairs") ?? 100;
const FLOOD_CPUS = arg("flood-cpus");
const log = (s: string): void => console.error(`[noisy] ${s}`);
const pct = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

interface Phase {
  name: string;
  firstMs: number[];
  lost: number;
  packetIns: number;
  seconds: number;
  floodPps: number;
  maxDropFlows: number;
  steadyMs: number[];
}

/** Short drop flows (cookie kind DENY) on h1's FORWARD table right now. */
async function dropFlows(lab: DataplaneLab): Promise<number> {
  const h1 = lab.state.hosts[0]!;
  const out = await ofctl(h1.ovsDir, "dump-flows", h1.bridge, "table=2,cookie=0x4e56060000000000/0xffffff0000000000");
  return out.split("\n").filter((l) => l.includes("cookie=")).length;
}

async function phase(
  lab: DataplaneLab,
  name: string,
  pairs: { from: string; to: string }[],
  flooder: string | undefined,
  established: { from: string; to: string },
): Promise<Phase> {
  const flood = flooder ? await startFlood(flooder, { cpus: FLOOD_CPUS }) : undefined;
  if (flood) await new Promise((r) => setTimeout(r, 2000)); // let it reach its rate, and the limits bite
  const sent0 = (await flood?.sent()) ?? 0;
  const t0 = Date.now();
  const in0 = lab.mapping.stats().packetIns;
  // an established pair of the quiet tenant, pinged all along
  const steady = spawn("ip", ["netns", "exec", established.from, "ping", "-n", "-i", "0.05", established.to]);
  let steadyOut = "";
  steady.stdout.on("data", (d: Buffer) => (steadyOut += d.toString()));
  let maxDropFlows = 0;
  const firstMs: number[] = [];
  let lost = 0;
  for (const [i, p] of pairs.entries()) {
    const e = await firstEcho(p.from, p.to);
    if (e.ms === undefined) lost++;
    else firstMs.push(e.ms);
    if (i % 10 === 0) maxDropFlows = Math.max(maxDropFlows, await dropFlows(lab));
  }
  const seconds = (Date.now() - t0) / 1000;
  const packetIns = lab.mapping.stats().packetIns - in0;
  const sent = ((await flood?.sent()) ?? 0) - sent0;
  steady.kill("SIGINT");
  await flood?.stop();
  const steadyMs = [...steadyOut.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  log(`${name}: ${JSON.stringify(lab.mapping.stats())}`);
  return { name, firstMs, lost, packetIns, seconds, floodPps: sent / seconds, maxDropFlows, steadyMs };
}

async function main(): Promise<void> {
  log(`load average ${load()}, ${os.cpus().length} CPUs`);
  const lab = await startDataplaneLab({ datacenters: 1, hostsPerDc: 2, log });
  try {
    const noisy = { tenantId: "org_noisy", vpcId: "vpc_noisy" };
    const quiet = { tenantId: "org_quiet", vpcId: "vpc_quiet" };
    const fa = await lab.instance({ host: "h1", name: "fa", ip: "10.40.0.2/24", server: false }, noisy);
    const sa = await lab.instance({ host: "h1", name: "sa", ip: "10.41.0.5/24", server: false }, quiet);
    const sb = await lab.instance({ host: "h2", name: "sb", ip: "10.41.0.6/24", server: false }, quiet);
    const steady = { from: sa.ns, to: sb.ip };
    await tryRun("ip", ["netns", "exec", steady.from, "ping", "-c", "2", "-W", "2", steady.to]);
    // brand-new pairs: k instances on h1 (with the flooder) × k on h2, each pair used once
    const k = Math.ceil(Math.sqrt(PAIRS * 2));
    const left: string[] = [];
    const right: string[] = [];
    for (let i = 0; i < k; i++) {
      left.push(
        (await lab.instance({ host: "h1", name: `q${i}`, ip: `10.41.0.${10 + i}/24`, server: false }, quiet)).ns,
      );
      right.push(
        (await lab.instance({ host: "h2", name: `r${i}`, ip: `10.41.0.${100 + i}/24`, server: false }, quiet)).ip,
      );
    }
    const all = left.flatMap((from) => right.map((to) => ({ from, to })));
    // alternate which pairs are measured at rest and under the flood, so neither gets the "later" ones
    const idle = await phase(lab, "idle", all.filter((_, i) => i % 2 === 0).slice(0, PAIRS), undefined, steady);
    const flood = await phase(lab, "flood", all.filter((_, i) => i % 2 === 1).slice(0, PAIRS), fa.ns, steady);
    const ratio = (q: number): string => (pct(flood.firstMs, q) / pct(idle.firstMs, q)).toFixed(2);
    console.log(
      `\nDate ${new Date().toISOString()}, load ${load()}, ${PAIRS} brand-new pairs per phase, flooder ${FLOOD_CPUS === undefined ? "unlimited (one core)" : `capped at ${FLOOD_CPUS} CPU`}\n`,
    );
    console.log(
      "| phase | first answer p50 / p99 (ms) | first packet lost | packet-ins/s at the TSC | flood sent (pps) | short drops on h1 (max) | established pair RTT p50 / p99 (ms) |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const p of [idle, flood])
      console.log(
        `| ${p.name} | ${pct(p.firstMs, 0.5).toFixed(2)} / ${pct(p.firstMs, 0.99).toFixed(2)} | ${p.lost} of ${p.firstMs.length + p.lost} | ${(p.packetIns / p.seconds).toFixed(0)} | ${p.floodPps.toFixed(0)} | ${p.maxDropFlows} | ${pct(p.steadyMs, 0.5).toFixed(2)} / ${pct(p.steadyMs, 0.99).toFixed(2)} |`,
      );
    console.log(`\nflood / idle, first answer: p50 ${ratio(0.5)}×, p99 ${ratio(0.99)}× (target p99 ≤ 2×, 0 lost)`);
  } finally {
    await lab.down();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
