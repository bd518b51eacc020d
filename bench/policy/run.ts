/**
 * Policy benchmark: how fast a policy change reaches live traffic, across hosts, both directions,
 * on real parts (REST API → Postgres → BullMQ → the worker's TSC → two lab hosts' VEBs).
 *
 *   node --import tsx bench/policy/run.ts [--trials 100] [--quick] [--orgs 0,100,1000]   (BENCH_TRIALS=N works too)
 *
 * `--orgs`: the same trials at each database size, with that many background organizations seeded
 * straight into Postgres first (`seed.ts`: VPCs, groups, rules, deny entries, instances).
 * `--console-rps 200`: the console's API serves that many other requests per second meanwhile.
 *
 * Per trial: fresh TCP streams both ways, UDP trains and `ping -i 0.01` both ways and (around the
 * plug) a train of new TCP connections both ways run between an instance on dc1's host and one on dc2's host; then
 * POST /policy/unplug default → default, and "stopped" = the receiver-side time of the last packet
 * after the call, relative to the call; then POST /policy/plug and "through" = the first packet
 * received after the call. Prints a markdown table (paste it into bench/policy/README.md).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- REST answers are JSON */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createCoreDeps } from "../../packages/core/src/index.ts";
import { cpuMsOf, cpuShares, sampleCpu } from "./cpu-share.ts";
import { seed, unseed } from "./seed.ts";
import { readFileSync } from "node:fs";
import os from "node:os";
import { startJourney, type Journey } from "../../infra/dataplane/src/journey.ts";
import {
  startSink,
  startSource,
  stopAllTraffic,
  wallNow,
  type Sink,
  type Source,
} from "../../infra/dataplane/src/traffic.ts";

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const QUICK = process.argv.includes("--quick");
const TRIALS = Number(arg("trials") ?? process.env.BENCH_TRIALS ?? (QUICK ? 10 : 100));
const SIZES = (arg("orgs") ?? "0").split(",").map(Number);
/** unmeasured unplug/plug cycles first: the worker's and the API's first changes pay for connections and JIT */
const WARMUP = Number(arg("warmup") ?? process.env.BENCH_WARMUP ?? "3");
/** other console traffic while the trials run: GET /groups and GET /operations, this many per second */
const CONSOLE_RPS = Number(arg("console-rps") ?? "0");
/** the API in the bench's own process (as before 2026-12-05) instead of a process of its own, as the console runs in production */
const API_IN_BENCH = process.argv.includes("--api-in-bench");
/**
 * `--control-plane-nice N`: run the console, the worker and Postgres at nice N (e.g. -5) while the
 * lab's datapath and traffic stay at 0, as a machine that hosts both would be set up to keep the
 * control plane from waiting behind tenant traffic. Postgres's processes are set back to 0 at the end.
 */
const CONTROL_NICE = arg("control-plane-nice");
/** `--postgres-nice N`: Postgres at N instead (0: left alone, as scripts/up.sh and the systemd units ship) */
const POSTGRES_NICE = arg("postgres-nice") ?? CONTROL_NICE;
/**
 * Linux's CPU pressure (PSI, /proc/pressure/cpu "some total"): ms during which at least one runnable
 * task waited for a CPU. Read around each unplug's API call, it tells a slow answer that waited for
 * a CPU (the bench, its lab and the console share this machine's vCPUs) from one that did not.
 */
const cpuStallMs = (): number => {
  const m = /some .*total=(\d+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"));
  return m ? Number(m[1]) / 1000 : NaN;
};
const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
/** how long after the unplug call a packet still counts (a later one would be a leak: reported) */
const WINDOW_MS = 1500;
const log = (s: string): void => console.error(`[bench] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/**
 * `ping -D -i 0.01` from `ns`: the wall-clock ms of every reply, as the pinger received it. Not
 * faster: iputils ping spins on `sched_yield` below a 10 ms interval (43 % of a vCPU each at 5 ms,
 * measured 2026-12-06), which kept a runnable task waiting for a CPU almost all the time and made
 * the control plane's own tail (the UDP trains at 2 ms and the streams at 1 ms keep the resolution).
 */
function fastPing(ns: string, to: string): { replies: number[]; proc: ChildProcess } {
  const proc = spawn("ip", ["netns", "exec", ns, "ping", "-n", "-D", "-i", "0.01", "-W", "1", to], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const replies: number[] = [];
  let buf = "";
  proc.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split("\n");
    buf = lines.pop() ?? "";
    for (const l of lines) {
      const m = /^\[(\d+\.\d+)\] \d+ bytes from/.exec(l);
      if (m) replies.push(Number(m[1]) * 1000);
    }
  });
  return { replies, proc };
}

interface Side {
  name: string;
  ns: string;
  address: string;
  stream: Sink;
  sink: Sink;
  ping?: { replies: number[]; proc: ChildProcess };
}

async function main(): Promise<void> {
  log(
    `load average ${loadavg()}, ${os.cpus().length} CPUs; ${TRIALS} trials at ${SIZES.join(", ")} organizations; ` +
      `the API in ${API_IN_BENCH ? "the bench's process" : "a process of its own"}` +
      (CONSOLE_RPS ? `, ${CONSOLE_RPS} other console requests/s` : ""),
  );
  const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
  const j: Journey = await startJourney({
    vpcCidr: "10.60.0.0/16",
    subnetCidrs: { dc1: "10.60.1.0/24", dc2: "10.60.2.0/24" },
    stack: { separateConsole: !API_IN_BENCH },
  });
  const procs: Source[] = [];
  const postgresPids = (): string[] =>
    execFileSync("pgrep", ["-x", "postgres"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  if (CONTROL_NICE !== undefined) {
    execFileSync("renice", ["-n", CONTROL_NICE, "-p", ...j.stack.controlPlanePids().map(String)]);
    log(`console and worker at nice ${CONTROL_NICE}`);
  }
  if (POSTGRES_NICE !== undefined && POSTGRES_NICE !== "0") {
    const pids = postgresPids();
    execFileSync("renice", ["-n", POSTGRES_NICE, "-p", ...pids]);
    log(`${pids.length} Postgres processes at nice ${POSTGRES_NICE}`);
  }
  try {
    const up = async (name: string, dc: string): Promise<{ ns: string; address: string }> => {
      const r = await j.launch(name, dc);
      const op = await j.finished(r.operationId);
      if (op.status !== "succeeded") throw new Error(`launch ${name}: ${op.error}`);
      return { ns: `${j.lab.name}-n-${r.instance.id}`, address: r.instance.address };
    };
    const [a, b] = [await up("a", "dc1"), await up("b", "dc2")];
    const def = ((await j.stack.call("GET", "/groups")).body as any[]).find((g) => g.name === "default").id as string;
    const sides: Side[] = [];
    for (const [name, i] of [
      ["a", a],
      ["b", b],
    ] as const)
      sides.push({ name, ...i, stream: await startSink(i.ns, 9100, name), sink: await startSink(i.ns, 9000, name) });
    const [A, B] = sides as [Side, Side];
    const pairs: [Side, Side][] = [
      [A, B],
      [B, A],
    ];
    // long-running: UDP trains (2 ms), fast pings, both ways; new-connection trains (5 ms) run only around a plug
    const connectTrains: Source[] = [];
    for (const [s, d] of pairs) {
      const train = await startSource(s.ns, "connect", d.address, 9000, 5, { paused: true });
      connectTrains.push(train);
      procs.push(await startSource(s.ns, "udp", d.address, 9000, 2), train);
      s.ping = fastPing(s.ns, d.address);
    }
    const policy = async (verb: "plug" | "unplug") => {
      const t = wallNow();
      const r = await j.stack.call("POST", `/policy/${verb}`, { srcGroupId: def, dstGroupId: def });
      if (r.status !== 202) throw new Error(`${verb}: ${JSON.stringify(r.body)}`);
      const answered = wallNow();
      return { t, answered, operationId: r.body.operationId as string };
    };
    const lastAfter = (xs: number[], t: number) => xs.filter((x) => x >= t).at(-1);
    const firstAfter = (xs: number[], t: number) => xs.find((x) => x >= t);

    /** the other console requests: how many, how many failed, and each one's answer time (ms) */
    const consoleLoad = { sent: 0, failed: 0, answerMs: [] as number[] };
    const background =
      CONSOLE_RPS > 0
        ? setInterval(() => {
            for (let k = 0; k < CONSOLE_RPS / 100; k++) {
              consoleLoad.sent++;
              const t = performance.now();
              void j.stack
                .call("GET", consoleLoad.sent % 2 ? "/groups" : "/operations")
                .then((r) => {
                  consoleLoad.answerMs.push(performance.now() - t);
                  if (r.status !== 200) consoleLoad.failed++;
                })
                .catch(() => void consoleLoad.failed++);
            }
          }, 10)
        : undefined;
    // the console's and the worker's processes by name in the CPU breakdown (the console's first)
    const [consolePid, workerPid] = j.stack.controlPlanePids();
    const named: Record<number, string> = { [process.pid]: "bench (client)" };
    if (consolePid !== undefined) named[consolePid] = "console";
    if (workerPid !== undefined) named[workerPid] = "worker + TSC";
    for (let k = 0; k < WARMUP; k++) {
      for (const verb of ["unplug", "plug"] as const) {
        const r = await policy(verb);
        await j.finished(r.operationId);
        await sleep(300);
      }
    }
    for (const size of SIZES) {
      const t0 = performance.now();
      const rows = size > 0 ? await seed(deps, size) : (await unseed(deps), 0);
      log(
        `${size} organizations seeded (${rows} rows, ${Math.round(performance.now() - t0)} ms); letting the worker catch up`,
      );
      await sleep(size > 0 ? 12_000 : 1000);
      const loadBefore = loadavg();
      const cpuBefore = { sample: sampleCpu(named), sent: consoleLoad.sent };
      consoleLoad.answerMs.length = 0;
      const m: Record<string, number[]> = {};
      const add = (k: string, v: number | undefined) => void (m[k] ??= []).push(v ?? NaN);
      let leaks = 0;
      /** directions whose last packet arrived after the operation said the last VEB confirmed, and by how much */
      const afterConfirm: number[] = [];
      /** directions whose last packet was read after the operation finished (said every VEB confirmed), by how
       * much, and when that packet had been sent, relative to the last VEB's confirmation (negative: before) */
      const afterFinish: { by: number; sent: number }[] = [];
      /** directions that delivered a packet sent after the last VEB confirmed, by how much later it was sent */
      const sentAfterConfirm: number[] = [];
      /** … and a packet sent after the operation finished: a leak */
      const sentAfterFinish: number[] = [];
      for (let trial = 1; trial <= TRIALS; trial++) {
        // fresh TCP streams each trial (a stream stalled by the previous unplug would be in RTO backoff)
        const streams = [
          await startSource(A.ns, "stream", B.address, 9100, 1),
          await startSource(B.ns, "stream", A.address, 9100, 1),
        ];
        await sleep(Number(process.env.BENCH_WARM_MS ?? 1000));
        const stallBefore = cpuStallMs();
        const u = await policy("unplug");
        const stall = cpuStallMs() - stallBefore;
        add("unplug: CPU pressure during the call (PSI some)", stall);
        await sleep(WINDOW_MS);
        for (const [s, d] of pairs) {
          const st = await d.stream.stats();
          const ud = await d.sink.stats();
          for (const [k, last] of [
            ["tcp stream", st.lastTcp],
            ["udp train", ud.lastUdp],
          ] as const) {
            if (last < u.t - 100)
              log(
                `trial ${trial}: ${k} ${s.name}→${d.name} was not flowing before the call (last ${(u.t - last).toFixed(0)} ms before)`,
              );
            add(`unplug ${k} ${s.name}→${d.name}`, Math.max(0, last - u.t));
            if (last > u.t + WINDOW_MS - 200) leaks++;
          }
          add(`unplug ping from ${s.name}`, Math.max(0, (lastAfter(s.ping?.replies ?? [], u.t - 50) ?? u.t) - u.t));
        }
        add("unplug API answered", u.answered - u.t);
        const uop = await j.finished(u.operationId);
        if (uop.status !== "succeeded") throw new Error(`unplug operation: ${uop.error}`);
        add("unplug operation started by the worker", Date.parse(uop.startedAt) - u.t);
        // the split, from the operation's steps: when the TSC started, when each VEB's barrier came back
        const steps = (uop.steps as { name: string; at: string | null }[]).filter((x) => x.at);
        const tsc = steps.find((x) => x.name.startsWith("TSC started"));
        const vebs = steps.filter((x) => x.name.startsWith("VEB of")).map((x) => Date.parse(x.at!));
        if (tsc) add("unplug TSC started", Date.parse(tsc.at!) - u.t);
        // the tail, one by one: when it happened, so it can be matched with the console's and Postgres's logs
        if (u.answered - u.t > 100)
          log(
            `[${size} orgs] trial ${trial}: slow unplug at ${new Date(u.t).toISOString()}: API answered after ${(u.answered - u.t).toFixed(1)} ms, TSC started after ${tsc ? (Date.parse(tsc.at!) - u.t).toFixed(1) : "?"} ms, CPU stall meanwhile ${stall.toFixed(1)} ms`,
          );
        if (vebs.length > 0) {
          add("unplug first VEB confirmed", Math.min(...vebs) - u.t);
          add("unplug last VEB confirmed", Math.max(...vebs) - u.t);
          const confirmed = Math.max(...vebs);
          for (const [, d] of pairs) {
            const st = await d.stream.stats();
            const ud = await d.sink.stats();
            for (const last of [st.lastTcp, ud.lastUdp]) if (last > confirmed + 1) afterConfirm.push(last - confirmed);
          }
        }
        add("unplug operation finished (incl. read-back)", Date.parse(uop.finishedAt) - u.t);
        const confirmedAt = vebs.length > 0 ? Math.max(...vebs) : Date.parse(uop.finishedAt);
        for (const [, d] of pairs) {
          const st = await d.stream.stats();
          const ud = await d.sink.stats();
          for (const [last, sent] of [
            [st.lastTcp, st.lastTcpSent],
            [ud.lastUdp, ud.lastUdpSent],
          ] as const)
            if (last > Date.parse(uop.finishedAt))
              afterFinish.push({ by: last - Date.parse(uop.finishedAt), sent: sent - confirmedAt });
          // sent after the last VEB confirmed and still delivered: must not happen since the VEBs confirm
          // only once their datapath settled (before 0006763 a barrier reply confirmed, and OVS still
          // revalidated its datapath's cached flows after it); sent after the operation finished (every VEB
          // read back) and delivered: a leak, which must never happen
          for (const sent of [st.lastTcpSent, ud.lastUdpSent]) {
            if (sent > confirmedAt + 1) sentAfterConfirm.push(sent - confirmedAt);
            if (sent > Date.parse(uop.finishedAt) + 1) sentAfterFinish.push(sent - Date.parse(uop.finishedAt));
          }
        }
        for (const x of streams) x.stop();
        for (const c of connectTrains) c.resume();
        await sleep(100);
        for (const s of sides) await s.sink.mark();
        const p = await policy("plug");
        const end = p.t + 3000;
        for (;;) {
          const st = await Promise.all(sides.map((s) => s.sink.stats()));
          const pings = sides.map((s) => firstAfter(s.ping?.replies ?? [], p.t));
          if (
            (st.every((x) => x.firstUdp > 0 && x.firstConn > 0) && pings.every((x) => x !== undefined)) ||
            wallNow() > end
          ) {
            for (const [i, [s, d]] of pairs.entries()) {
              const x = st[1 - i]!;
              add(`plug udp train ${s.name}→${d.name}`, x.firstUdp > 0 ? x.firstUdp - p.t : NaN);
              add(`plug new tcp connection ${s.name}→${d.name}`, x.firstConn > 0 ? x.firstConn - p.t : NaN);
              add(`plug ping from ${s.name}`, (pings[i] ?? NaN) - p.t);
            }
            break;
          }
          await sleep(20);
        }
        for (const c of connectTrains) c.pause();
        add("plug API answered", p.answered - p.t);
        const pop = await j.finished(p.operationId);
        if (pop.status !== "succeeded") throw new Error(`plug operation: ${pop.error}`);
        add("plug operation started by the worker", Date.parse(pop.startedAt) - p.t);
        const psteps = (pop.steps as { name: string; at: string | null }[]).filter((x) => x.at);
        const ptsc = psteps.find((x) => x.name.startsWith("TSC started"));
        const pvebs = psteps.filter((x) => x.name.startsWith("VEB of")).map((x) => Date.parse(x.at!));
        if (ptsc) add("plug TSC started", Date.parse(ptsc.at!) - p.t);
        if (pvebs.length > 0) add("plug last VEB confirmed (drops lifted)", Math.max(...pvebs) - p.t);
        if (trial % 10 === 0 || QUICK)
          log(
            `[${size} orgs] ` +
              `trial ${trial}/${TRIALS}: unplug tcp a→b ${m["unplug tcp stream a→b"]?.at(-1)?.toFixed(1)} ms, plug udp a→b ${m["plug udp train a→b"]?.at(-1)?.toFixed(1)} ms`,
          );
        await sleep(200);
      }

      report(size, m, { loadBefore, leaks, afterConfirm, afterFinish, sentAfterConfirm, sentAfterFinish });
      const cpuAfter = sampleCpu(named);
      console.log(`CPU over the trials, share of one CPU: ${cpuShares(cpuBefore.sample, cpuAfter)}`);
      if (background && consolePid !== undefined) {
        const consoleMs = cpuMsOf(cpuBefore.sample, cpuAfter, consolePid);
        console.log(
          `the console's CPU per other request: ${(consoleMs / (consoleLoad.sent - cpuBefore.sent)).toFixed(2)} ms`,
        );
      }
      if (background)
        console.log(
          `console traffic: ${consoleLoad.sent} requests so far (${CONSOLE_RPS}/s), ${consoleLoad.failed} failed; ` +
            `answered in ${pct(consoleLoad.answerMs, 0.5).toFixed(1)} / ${pct(consoleLoad.answerMs, 0.99).toFixed(1)} ms p50 / p99 ` +
            `during these trials (an open loop: a growing backlog shows as seconds here)`,
        );
    }
    clearInterval(background);
    const applied = j.stack
      .workerLog()
      .split("\n")
      .filter((l) => l.includes("policy applied"));
    console.log(
      `\nthe worker's last "policy applied" lines (${applied.length} in all):\n${applied.slice(-6).join("\n")}`,
    );
  } finally {
    if (POSTGRES_NICE !== undefined && POSTGRES_NICE !== "0")
      execFileSync("renice", ["-n", "0", "-p", ...postgresPids()]);
    for (const p of procs) p.stop();
    stopAllTraffic();
    await j.close();
    await unseed(deps);
    await deps.db.$disconnect();
  }
}

/** The split first (where an unplug's time goes), then every measure; targets p50 < 50 ms, p99 < 250 ms (API: p99 < 100 ms). */
function report(
  size: number,
  m: Record<string, number[]>,
  o: {
    loadBefore: string;
    leaks: number;
    afterConfirm: number[];
    afterFinish: { by: number; sent: number }[];
    sentAfterConfirm: number[];
    sentAfterFinish: number[];
  },
): void {
  const split = [
    "unplug API answered",
    "unplug operation started by the worker",
    "unplug TSC started",
    "unplug first VEB confirmed",
    "unplug last VEB confirmed",
    "unplug tcp stream a→b",
    "unplug operation finished (incl. read-back)",
  ];
  const stopped = Object.keys(m).filter((k) => k.startsWith("unplug ") && /stream|train|ping/.test(k));
  m["unplug → traffic stopped (all six)"] = stopped.flatMap((k) => m[k] ?? []);
  const through = Object.keys(m).filter((k) => k.startsWith("plug ") && /train|connection|ping/.test(k));
  m["plug → first packet (all six)"] = through.flatMap((k) => m[k] ?? []);
  const order = [
    ...split,
    "unplug → traffic stopped (all six)",
    "plug → first packet (all six)",
    ...Object.keys(m).filter((k) => !split.includes(k)),
  ];
  const rows = [...new Set(order)]
    .filter((k) => m[k])
    .map((k) => {
      const xs = m[k]!;
      const ok = xs.filter((x) => Number.isFinite(x));
      const [p50, p99] = [pct(ok, 0.5), pct(ok, 0.99)];
      const [t50, t99] = k.includes("API") ? [Infinity, 100] : [50, 250];
      const target =
        k.includes("operation") || k.includes("VEB") || k.includes("TSC") || k.includes("PSI")
          ? ""
          : `${(p50 / t50).toFixed(2)}× / ${(p99 / t99).toFixed(2)}×`;
      return `| ${k} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${Math.max(...ok).toFixed(1)} | ${xs.length - ok.length} | ${target} |`;
    });
  console.log(
    `\n### ${size} background organizations: ${TRIALS} trials, 2 hosts in 2 datacenters (load average ${o.loadBefore} before, ${loadavg()} after)\n`,
  );
  console.log(
    "| measure (ms after the API call) | p50 | p99 | max | missed | p50 / 50 ms, p99 / 250 ms (API: p99 / 100 ms) |",
  );
  console.log("|---|---|---|---|---|---|");
  console.log(rows.join("\n"));
  console.log(
    `\ndirections whose last packet was read after the operation finished: ${o.afterFinish.length} of ${TRIALS * 4}${
      o.afterFinish.length
        ? ` (read ${o.afterFinish.map((x) => x.by.toFixed(1)).join(", ")} ms after; sent ${o.afterFinish.map((x) => x.sent.toFixed(1)).join(", ")} ms from the last VEB's confirmation)`
        : ""
    }\ndirections that delivered a packet sent after the last VEB confirmed (its barrier and, where it revoked, its datapath settled): ${o.sentAfterConfirm.length} of ${TRIALS * 4}${
      o.sentAfterConfirm.length ? ` (sent ${o.sentAfterConfirm.map((x) => x.toFixed(1)).join(", ")} ms after)` : ""
    }\ndirections that delivered a packet sent after the operation finished (a leak): ${o.sentAfterFinish.length} of ${TRIALS * 4}${
      o.sentAfterFinish.length ? ` (sent ${o.sentAfterFinish.map((x) => x.toFixed(1)).join(", ")} ms after)` : ""
    }`,
  );
  // did the slow answers wait for a CPU? (the two lists are per trial, in the same order)
  const answered = m["unplug API answered"] ?? [];
  const stalls = m["unplug: CPU pressure during the call (PSI some)"] ?? [];
  const slowIdx = answered.flatMap((x, i) => (x > 100 ? [i] : []));
  const share = (i: number) => (stalls[i] ?? NaN) / (answered[i] ?? NaN);
  const fastIdx = answered.flatMap((x, i) => (x <= 100 ? [i] : []));
  console.log(
    `CPU pressure during the unplug's API call (share of the call during which a runnable task waited for a CPU): ` +
      `p50 ${(pct(fastIdx.map(share), 0.5) * 100).toFixed(0)} % in the ${fastIdx.length} answers ≤ 100 ms, ` +
      `${slowIdx.length ? `${(pct(slowIdx.map(share), 0.5) * 100).toFixed(0)} %` : "n/a"} in the ${slowIdx.length} slower ones`,
  );
  console.log(
    `packets later than ${WINDOW_MS - 200} ms after an unplug: ${o.leaks}; directions whose last packet arrived after the last VEB confirmed: ${o.afterConfirm.length} of ${TRIALS * 4}${o.afterConfirm.length ? ` (by ${o.afterConfirm.map((x) => x.toFixed(1)).join(", ")} ms: in flight)` : ""}`,
  );
}

await main();
