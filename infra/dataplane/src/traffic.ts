import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * Traffic inside lab instance namespaces for the policy tests and benchmark: a sink that counts
 * what it receives (TCP bytes, UDP datagrams, accepted connections) with receiver-side wall-clock
 * timestamps, and sources (a continuous TCP stream, a UDP packet train, a train of new TCP
 * connections). Each is a node process started with `ip netns exec`, stopped by its own PID.
 * Timestamps are wall-clock ms with sub-ms precision, kept within 1 ms of `Date.now()` (see NOW),
 * comparable across processes on this machine and with the worker's step times.
 */

/**
 * Wall-clock ms with sub-ms precision, kept within 1 ms of `Date.now()`: `performance.now()` runs on
 * the monotonic clock, which drifts from the wall clock the worker stamps its steps with (≈1 ms in
 * 30 s on these VMs), so a long-lived process re-anchors on `Date.now()` when the two part.
 */
const NOW = `const now = (() => {
  let base = Date.now() - performance.now();
  return () => {
    const p = performance.now(), d = Date.now();
    if (Math.abs(base + p - d) > 1) base = d - p;
    return base + p;
  };
})();`;
/** a stream source's write size */
const CHUNK = 1024;

const SINK_JS = `${NOW}
const net = require("net"), dgram = require("dgram");
const [port, name] = [Number(process.argv[1]), process.argv[2]];
const s = { tcpBytes: 0, udpPackets: 0, conns: 0, lastTcp: 0, lastUdp: 0, lastConn: 0, firstTcp: 0, firstUdp: 0, firstConn: 0, lastTcpSent: 0, lastUdpSent: 0 };
net.createServer((c) => {
  const t = now(); s.conns++; s.lastConn = t; if (!s.firstConn) s.firstConn = t;
  // a stream's chunks are ${CHUNK} bytes, each starting with its send time (see the source): read them across reads
  let off = 0, head = "";
  c.on("data", (d) => {
    const t = now(); s.tcpBytes += d.length; s.lastTcp = t; if (!s.firstTcp) s.firstTcp = t;
    if (d.subarray(0, 4).toString() === "ECHO") c.write(name + "\\n");
    for (let i = 0; i < d.length; ) {
      const take = Math.min(${CHUNK} - off, d.length - i);
      if (off < 20) {
        head += d.subarray(i, i + Math.min(20 - off, take)).toString();
        if (off + take >= 20 && Number(head) > 0) s.lastTcpSent = Number(head);
      }
      off += take; i += take;
      if (off === ${CHUNK}) { off = 0; head = ""; }
    }
  });
  c.on("error", () => {});
}).listen(port, "0.0.0.0", () => process.stdout.write("ready\\n"));
const u = dgram.createSocket("udp4");
u.on("message", (m) => {
  const t = now(); s.udpPackets++; s.lastUdp = t; if (!s.firstUdp) s.firstUdp = t;
  try { const at = JSON.parse(m.toString()).at; if (typeof at === "number") s.lastUdpSent = at; } catch {}
});
u.bind(port);
require("readline").createInterface({ input: process.stdin }).on("line", (l) => {
  if (l === "mark") { s.firstTcp = 0; s.firstUdp = 0; s.firstConn = 0; }
  process.stdout.write(JSON.stringify(s) + "\\n");
});`;

const SOURCE_JS = `${NOW}
const net = require("net"), dgram = require("dgram");
const [mode, host, port, everyMs] = [process.argv[1], process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
if (mode === "stream") {
  // each chunk starts with its send time (20 bytes, space-padded), so the sink can tell in-flight data from late data
  const chunk = () => { const b = Buffer.alloc(${CHUNK}, 120); b.write(now().toFixed(3).padEnd(20)); return b; };
  const c = net.connect(port, host, () => { process.stdout.write("ready\\n"); setInterval(() => c.write(chunk()), everyMs); });
  c.on("error", (e) => { process.stderr.write(String(e)); process.exit(2); });
} else if (mode === "udp") {
  const u = dgram.createSocket("udp4");
  let seq = 0;
  process.stdout.write("ready\\n");
  setInterval(() => u.send(Buffer.from(JSON.stringify({ seq: seq++, at: now() })), port, host, () => {}), everyMs);
} else {
  let on = !process.argv[5];
  require("readline").createInterface({ input: process.stdin }).on("line", (l) => { on = l === "resume"; });
  process.stdout.write("ready\\n");
  setInterval(() => {
    if (!on) return;
    const c = net.connect(port, host, () => c.end("x"));
    c.on("error", () => {});
    setTimeout(() => c.destroy(), 400);
  }, everyMs);
}`;

const procs = new Set<ChildProcess>();

function startNode(ns: string, js: string, args: string[]): Promise<ChildProcess> {
  const p = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", js, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  procs.add(p);
  p.on("exit", () => procs.delete(p));
  let err = "";
  p.stderr.on("data", (d: Buffer) => void (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${ns}: not ready after 10 s: ${err}`)), 10_000);
    p.stdout.once("data", () => {
      clearTimeout(timer);
      resolve(p);
    });
    p.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${ns}: exited with ${code}: ${err}`));
    });
  });
}

export interface SinkStats {
  tcpBytes: number;
  udpPackets: number;
  conns: number;
  /** receiver-side wall-clock ms of the last TCP data / UDP datagram / accepted connection (0 = none yet) */
  lastTcp: number;
  lastUdp: number;
  lastConn: number;
  /** the sender's wall-clock ms when it sent the last complete stream chunk / UDP datagram received (0 = unknown) */
  lastTcpSent: number;
  lastUdpSent: number;
  /** … and of the first one since the last `mark()` */
  firstTcp: number;
  firstUdp: number;
  firstConn: number;
}

export interface Sink {
  stats(): Promise<SinkStats>;
  /** Forget the "first" timestamps; returns the stats as they were. */
  mark(): Promise<SinkStats>;
  stop(): void;
}

/** A TCP and UDP sink on `port` inside `ns`; a TCP chunk starting with `ECHO` is answered with `name`. */
export async function startSink(ns: string, port: number, name = ns): Promise<Sink> {
  const p = await startNode(ns, SINK_JS, [String(port), name]);
  const lines = createInterface({ input: p.stdout! });
  const waiting: ((s: SinkStats) => void)[] = [];
  lines.on("line", (l) => waiting.shift()?.(JSON.parse(l) as SinkStats));
  const ask = (cmd: string): Promise<SinkStats> =>
    new Promise((resolve) => {
      waiting.push(resolve);
      p.stdin?.write(`${cmd}\n`);
    });
  return { stats: () => ask("?"), mark: () => ask("mark"), stop: () => void p.kill("SIGKILL") };
}

export interface Source {
  stop(): void;
  /** `connect` only: stop / start making connections (started paused with `{ paused: true }`) */
  pause(): void;
  resume(): void;
}

/**
 * `stream`: one TCP connection writing 1 KiB every `everyMs`; `udp`: a datagram every `everyMs`;
 * `connect`: a new TCP connection attempt every `everyMs` (each given 400 ms), while not paused.
 */
export async function startSource(
  ns: string,
  mode: "stream" | "udp" | "connect",
  host: string,
  port: number,
  everyMs: number,
  o: { paused?: boolean } = {},
): Promise<Source> {
  const p = await startNode(ns, SOURCE_JS, [
    mode,
    host,
    String(port),
    String(everyMs),
    ...(o.paused ? ["paused"] : []),
  ]);
  return {
    stop: () => void p.kill("SIGKILL"),
    pause: () => void p.stdin?.write("pause\n"),
    resume: () => void p.stdin?.write("resume\n"),
  };
}

const PROBE_JS = `const net = require("net");
const [host, port, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
let connected = false;
const out = (r) => { process.stdout.write(r); process.exit(0); };
setTimeout(() => out(connected ? "connected" : "timeout"), ms);
const c = net.connect(port, host, () => { connected = true; c.write("ECHO\\n"); });
c.on("data", (d) => out("echo:" + d.toString().trim()));
c.on("error", (e) => out(e.code === "ECONNREFUSED" ? "refused" : "error:" + e.code));`;

/**
 * Opens a TCP connection from `ns` to host:port and asks the sink there for its name:
 * `echo:<name>` (connected and the reply came back), `connected` (no reply), `refused`, `timeout`.
 */
export function tcpProbe(ns: string, host: string, port: number, ms = 1500): Promise<string> {
  const p = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", PROBE_JS, host, String(port), String(ms)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  procs.add(p);
  let out = "";
  let err = "";
  p.stdout.on("data", (d: Buffer) => void (out += d.toString()));
  p.stderr.on("data", (d: Buffer) => void (err += d.toString()));
  return new Promise((resolve) =>
    p.on("close", (code, signal) => {
      procs.delete(p);
      resolve(out || `error:no answer (exit ${code ?? signal}) ${err.slice(-300)}`);
    }),
  );
}

/** One echo request from `ns`, `ms` to wait for the reply: true when it came back. */
export function pingOnce(ns: string, host: string, ms = 1000): Promise<boolean> {
  const p = spawn("ip", ["netns", "exec", ns, "ping", "-n", "-c", "1", "-W", String(ms / 1000), host], {
    stdio: "ignore",
  });
  procs.add(p);
  return new Promise((resolve) =>
    p.on("exit", (code) => {
      procs.delete(p);
      resolve(code === 0);
    }),
  );
}

/** Kills every traffic process this module started that is still running (by its PID). */
export function stopAllTraffic(): void {
  for (const p of procs) p.kill("SIGKILL");
}

let wallBase = Date.now() - performance.now();
/** The same clock as the sinks' and sources' timestamps (see NOW) in this process. */
export const wallNow = (): number => {
  const p = performance.now();
  const d = Date.now();
  if (Math.abs(wallBase + p - d) > 1) wallBase = d - p;
  return wallBase + p;
};
