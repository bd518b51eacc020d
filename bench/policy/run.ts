/**
 * Policy benchmark: how fast a policy change reaches live traffic, across hosts, both directions,
 * on real parts (REST API → Postgres → BullMQ → the worker's TSC → two lab hosts' VEBs).
 *
 *   node --import tsx bench/policy/run.ts [--trials 100] [--quick]     (BENCH_TRIALS=N works too)
 *
 * Per trial: fresh TCP streams both ways, UDP trains and `ping -i 0.005` both ways and (around the
 * plug) a train of new TCP connections both ways run between an instance on dc1's host and one on dc2's host; then
 * POST /policy/unplug default → default, and "stopped" = the receiver-side time of the last packet
 * after the call, relative to the call; then POST /policy/plug and "through" = the first packet
 * received after the call. Prints a markdown table (paste it into bench/policy/README.md).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- REST answers are JSON */
import { spawn, type ChildProcess } from "node:child_process";
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
/** how long after the unplug call a packet still counts (a later one would be a leak: reported) */
const WINDOW_MS = 1500;
const log = (s: string): void => console.error(`[bench] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/** `ping -D -i 0.005` from `ns`: the wall-clock ms of every reply, as the pinger received it. */
function fastPing(ns: string, to: string): { replies: number[]; proc: ChildProcess } {
  const proc = spawn("ip", ["netns", "exec", ns, "ping", "-n", "-D", "-i", "0.005", "-W", "1", to], {
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
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}, ${os.cpus().length} CPUs; ${TRIALS} trials`,
  );
  const j: Journey = await startJourney({
    vpcCidr: "10.60.0.0/16",
    subnetCidrs: { dc1: "10.60.1.0/24", dc2: "10.60.2.0/24" },
  });
  const procs: Source[] = [];
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
      if (r.status !== 200) throw new Error(`${verb}: ${JSON.stringify(r.body)}`);
      const answered = wallNow();
      return { t, answered, operationId: r.body.operationId as string };
    };
    const lastAfter = (xs: number[], t: number) => xs.filter((x) => x >= t).at(-1);
    const firstAfter = (xs: number[], t: number) => xs.find((x) => x >= t);

    const m: Record<string, number[]> = {};
    const add = (k: string, v: number | undefined) => void (m[k] ??= []).push(v ?? NaN);
    let leaks = 0;
    await sleep(1000);
    for (let trial = 1; trial <= TRIALS; trial++) {
      // fresh TCP streams each trial (a stream stalled by the previous unplug would be in RTO backoff)
      const streams = [
        await startSource(A.ns, "stream", B.address, 9100, 1),
        await startSource(B.ns, "stream", A.address, 9100, 1),
      ];
      await sleep(Number(process.env.BENCH_WARM_MS ?? 1000));
      const u = await policy("unplug");
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
      add("unplug operation finished (incl. read-back)", Date.parse(uop.finishedAt) - u.t);
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
      if (trial % 10 === 0 || QUICK)
        log(
          `trial ${trial}/${TRIALS}: unplug tcp a→b ${m["unplug tcp stream a→b"]?.at(-1)?.toFixed(1)} ms, plug udp a→b ${m["plug udp train a→b"]?.at(-1)?.toFixed(1)} ms`,
        );
      await sleep(200);
    }

    const rows = Object.entries(m).map(([k, xs]) => {
      const ok = xs.filter((x) => Number.isFinite(x));
      const [p50, p99] = [pct(ok, 0.5), pct(ok, 0.99)];
      const target =
        k.includes("API") || k.includes("operation") ? "" : `${(p50 / 100).toFixed(2)}× / ${(p99 / 1000).toFixed(2)}×`;
      return `| ${k} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${Math.max(...ok).toFixed(1)} | ${xs.length - ok.length} | ${target} |`;
    });
    console.log(
      `\nPolicy change → traffic, ${TRIALS} trials, 2 hosts in 2 datacenters (load average now ${os.loadavg()[0]?.toFixed(2)})\n`,
    );
    console.log(
      "| measure (ms after the API call) | p50 | p99 | max | missed | p50 / 100 ms, p99 / 1 s (target ≤ 1×) |",
    );
    console.log("|---|---|---|---|---|---|");
    console.log(rows.join("\n"));
    console.log(`\npackets seen later than ${WINDOW_MS - 200} ms after an unplug: ${leaks}`);
  } finally {
    for (const p of procs) p.stop();
    stopAllTraffic();
    await j.close();
  }
}

await main();
