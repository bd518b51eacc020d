/**
 * Data-path benchmark: the NVI mapping vs an OVS userspace VXLAN tunnel between the same lab
 * hosts vs a bare veth pair, measured side by side in one run (alternating rounds), plus the TSC's
 * first-packet cost and its memory per active conversation. Needs root, iperf3, ab, ethtool.
 *
 *   node --expose-gc --import tsx bench/dataplane/run.ts [--rounds 3] [--seconds 10] [--conn-seconds 120] [--pairs 36]
 *
 * Prints a markdown table (paste it into packages/controller/README.md).
 */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import { startDataplaneLab } from "../../infra/dataplane/src/index.ts";
import { run, tryRun } from "../../infra/lab/src/index.ts";
import { vethPair, vxlanPair, type Endpoint } from "./baselines.ts";
import { conversationMemory } from "./memory.ts";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 10);
const CONN_SECONDS = arg("conn-seconds", 120);
const PAIRS = arg("pairs", 36);
const log = (s: string): void => console.error(`[bench] ${s}`);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pct = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

const servers: ChildProcess[] = [];
const HTTP_JS = `require("http").createServer((q, r) => r.end("ok\\n")).listen(80, "0.0.0.0", () => console.log("ready"));`;

function serve(ns: string): Promise<void> {
  const iperf = spawn("ip", ["netns", "exec", ns, "iperf3", "-s"], { stdio: "ignore" });
  const http = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", HTTP_JS], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  servers.push(iperf, http);
  return new Promise((resolve) => http.stdout.once("data", () => setTimeout(resolve, 300)));
}

async function iperf(from: Endpoint, to: Endpoint): Promise<{ gbps: number; retransmits: number }> {
  const out = await run("ip", ["netns", "exec", from.ns, "iperf3", "-c", to.ip, "-t", String(SECONDS), "-J"], {
    timeoutMs: (SECONDS + 30) * 1000,
  });
  const j = JSON.parse(out) as {
    end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits?: number } };
  };
  return { gbps: j.end.sum_received.bits_per_second / 1e9, retransmits: j.end.sum_sent.retransmits ?? 0 };
}

interface AbResult {
  rps: number;
  complete: number;
  failed: number;
  longestMs: number;
}

async function ab(from: Endpoint, to: Endpoint, seconds: number): Promise<AbResult> {
  const r = await tryRun(
    "ip",
    [
      "netns",
      "exec",
      from.ns,
      "ab",
      "-q",
      "-r",
      "-s",
      "10",
      "-t",
      String(seconds),
      "-n",
      "100000000",
      "-c",
      "20",
      `http://${to.ip}/`,
    ],
    { timeoutMs: (seconds + 60) * 1000 },
  );
  const num = (re: RegExp): number => Number(re.exec(r.out)?.[1] ?? NaN);
  return {
    rps: num(/Requests per second:\s+([\d.]+)/),
    complete: num(/Complete requests:\s+(\d+)/),
    failed: num(/Failed requests:\s+(\d+)/),
    longestMs: num(/100%\s+(\d+)/),
  };
}

/** RTT of the first and second echo of a brand-new pair: the first includes the TSC's setup. */
async function firstEchoes(from: string, to: string): Promise<{ first: number; second: number } | undefined> {
  const r = await tryRun("ip", ["netns", "exec", from, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", to]);
  const rtts = [...r.out.matchAll(/icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms/g)].map(
    (m) => [Number(m[1]), Number(m[2])] as const,
  );
  const first = rtts.find(([s]) => s === 1)?.[1];
  const second = rtts.find(([s]) => s === 2)?.[1];
  return first !== undefined && second !== undefined ? { first, second } : undefined;
}

async function main(): Promise<void> {
  log(
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}, ${os.cpus().length} CPUs`,
  );
  const lab = await startDataplaneLab({ datacenters: 1, hostsPerDc: 2, log });
  try {
    const [h1, h2] = lab.state.hosts;
    if (!h1 || !h2) throw new Error("lab has fewer than 2 hosts");
    const vpc = { tenantId: "org_bench", vpcId: "vpc_bench" };
    const c = await lab.instance({ host: "h1", name: "nc", ip: "10.30.0.2/24", server: false }, vpc);
    const s = await lab.instance({ host: "h2", name: "ns", ip: "10.30.0.3/24", server: false }, vpc);
    const nvi = { client: { ns: c.ns, ip: c.ip }, server: { ns: s.ns, ip: s.ip } };
    const vx = await vxlanPair(lab.state, h1, h2);
    const veth = await vethPair(lab.state);
    const paths = { nvi, vxlan: vx, veth } as const;
    for (const p of Object.values(paths)) await serve(p.server.ns);
    for (const [name, p] of Object.entries(paths)) {
      const ok = (await tryRun("ip", ["netns", "exec", p.client.ns, "ping", "-c", "2", "-W", "2", p.server.ip])).ok;
      if (!ok) throw new Error(`${name}: client cannot reach server`);
    }

    // 1. throughput, alternating rounds
    const tput: Record<string, { gbps: number; retransmits: number }[]> = { nvi: [], vxlan: [], veth: [] };
    for (let r = 1; r <= ROUNDS; r++) {
      for (const [name, p] of Object.entries(paths)) {
        const x = await iperf(p.client, p.server);
        tput[name]!.push(x);
        log(`round ${r} ${name}: ${x.gbps.toFixed(2)} Gbit/s, ${x.retransmits} retransmits`);
      }
    }

    // 2. sustained new connections against one server port
    const conns: Record<string, AbResult> = {};
    for (const name of ["nvi", "vxlan"] as const) {
      log(`${name}: ab for ${CONN_SECONDS} s (non-keepalive, 20 concurrent, one server port)`);
      conns[name] = await ab(paths[name].client, paths[name].server, CONN_SECONDS);
      log(`${name}: ${JSON.stringify(conns[name])}`);
    }
    const pairsBefore = lab.mapping.stats();

    // 3. first-packet latency over brand-new pairs (k × k instances without servers)
    const k = Math.max(2, Math.ceil(Math.sqrt(PAIRS)));
    const left: string[] = [];
    const right: { ns: string; ip: string }[] = [];
    for (let i = 0; i < k; i++) {
      left.push((await lab.instance({ host: "h1", name: `l${i}`, ip: `10.30.1.${10 + i}/24`, server: false }, vpc)).ns);
      const x = await lab.instance({ host: "h2", name: `r${i}`, ip: `10.30.1.${100 + i}/24`, server: false }, vpc);
      right.push({ ns: x.ns, ip: x.ip });
    }
    const setupBefore = lab.mapping.stats().setupMs.count;
    const added: number[] = [];
    let firstLost = 0;
    for (const l of left) {
      for (const r of right) {
        const e = await firstEchoes(l, r.ip);
        if (e) added.push(e.first - e.second);
        else firstLost++;
      }
    }
    const stats = lab.mapping.stats();
    const mem = await conversationMemory(10_000);

    const t = (name: string): number => median(tput[name]!.map((x) => x.gbps));
    const rows = [
      ["TCP throughput, NVI (Gbit/s, median)", t("nvi").toFixed(2), ""],
      [
        "… OVS userspace VXLAN, same hosts",
        t("vxlan").toFixed(2),
        `NVI/VXLAN **${(t("nvi") / t("vxlan")).toFixed(2)}×** (target ≥ 4×)`,
      ],
      ["… bare veth pair", t("veth").toFixed(2), `NVI/veth **${(t("nvi") / t("veth")).toFixed(2)}×** (target ≥ 0.55×)`],
      [
        `new connections/s, ${CONN_SECONDS} s, one server port: NVI`,
        conns.nvi!.rps.toFixed(0),
        `${conns.nvi!.complete} done, ${conns.nvi!.failed} failed, longest ${conns.nvi!.longestMs} ms`,
      ],
      [
        "… VXLAN",
        conns.vxlan!.rps.toFixed(0),
        `${conns.vxlan!.complete} done, ${conns.vxlan!.failed} failed, longest ${conns.vxlan!.longestMs} ms; NVI/VXLAN **${(conns.nvi!.rps / conns.vxlan!.rps).toFixed(2)}×** (target ≥ 0.9×)`,
      ],
      [
        "packet-ins during the connection runs",
        String(pairsBefore.packetIns),
        "one pair = one setup, whatever the number of connections",
      ],
      [
        `TSC's own time per new pair (packet-in → lookup, policy, flows → flow-mods written), ms, ${stats.decideMs.count} pairs`,
        `p50 ${stats.decideMs.p50} / p99 ${stats.decideMs.p99}`,
        "target p50 < 1, p99 < 5",
      ],
      [
        `setup per new pair incl. both VEBs' flow-mod + barrier (→ release), ms, ${stats.setupMs.count - setupBefore} pairs`,
        `p50 ${stats.setupMs.p50} / p99 ${stats.setupMs.p99}`,
        "the switches' share is OVS's flow-mod handling on a shared 2-CPU box",
      ],
      [
        "first echo minus second echo RTT for a new pair, ms",
        `p50 ${pct(added, 0.5).toFixed(3)} / p99 ${pct(added, 0.99).toFixed(3)}`,
        `${added.length} pairs; first echo lost: ${firstLost}`,
      ],
      [
        "flows per cross-host pair (both VEBs)",
        String(stats.activePairs ? (stats.pairFlows / stats.activePairs).toFixed(1) : "-"),
        "2 per VEB: egress + ingress; same-host pair: 2",
      ],
      [
        "TSC heap per 10k active conversations (pairs)",
        `${(mem.bytes / 2 ** 20).toFixed(1)} MiB`,
        `${Math.round(mem.bytes / 10_000)} B per pair (bookkeeping + flow index)`,
      ],
    ];
    console.log(
      `\nDate ${new Date().toISOString()}, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}, ${ROUNDS} rounds × ${SECONDS} s iperf3\n`,
    );
    console.log("| measure | value | ratio / note |\n|---|---|---|");
    for (const [a, b, note] of rows) console.log(`| ${a} | ${b} | ${note} |`);
    console.log(
      "\nper round (Gbit/s): " +
        Object.entries(tput)
          .map(([n, xs]) => `${n} ${xs.map((x) => x.gbps.toFixed(2)).join(", ")}`)
          .join("; "),
    );
  } finally {
    for (const p of servers) p.kill("SIGTERM");
    await lab.down();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
