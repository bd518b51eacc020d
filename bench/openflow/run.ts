/**
 * Side-by-side controller benchmark: TSC (l2LearningApp) vs ovs-testcontroller vs os-ken, alternating
 * rounds, same load generator, controller pinned to CPU 1 and the generator to CPU 0.
 *   taskset -c 0 node --import tsx bench/openflow/run.ts [--rounds 3] [--seconds 5] [--switches 16]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAuthority, issueWithKey } from "../../packages/pki/src/index.ts";
import { runBench, type BenchOptions, type BenchResult } from "./ofbench13.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 5);
const SWITCHES = arg("switches", 16);
const MACS = arg("macs", 1000);
const WINDOW = arg("window", 1000);
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1]?.split(",") : undefined;
const tmp = mkdtempSync(path.join(os.tmpdir(), "ofbench-"));

interface Contender {
  name: string;
  available: () => boolean;
  start: (port: number) => ChildProcess;
  /** the switches dial it with mutual TLS (certificates from the fabric CA code) */
  tls?: boolean;
}

// mutual TLS as the product runs it: a fabric CA, the TSC's certificate, one per simulated switch
// (naming its datapath id, id + 1), made once with @nvi/pki
const now = new Date();
const ca = await createAuthority({ name: "ofbench CA", now, days: 1 });
const server = await issueWithKey(
  ca,
  { kind: "server", name: "nvi-tsc", ipAddresses: ["127.0.0.1"] },
  { now, days: 1 },
);
const files = {
  TSC_TLS_KEY_FILE: path.join(tmp, "tsc.key"),
  TSC_TLS_CERT_FILE: path.join(tmp, "tsc.crt"),
  TSC_TLS_CA_FILE: path.join(tmp, "ca.crt"),
};
writeFileSync(files.TSC_TLS_KEY_FILE, server.keyPem, { mode: 0o600 });
writeFileSync(files.TSC_TLS_CERT_FILE, server.certPem);
writeFileSync(files.TSC_TLS_CA_FILE, ca.certPem);
const switchCreds: { key: string; cert: string; ca: string }[] = [];
for (let id = 0; id < Math.max(SWITCHES, 4); id++) {
  const c = await issueWithKey(
    ca,
    { kind: "switch", hostId: `bench-${id}`, datapathId: (id + 1).toString(16).padStart(16, "0") },
    { now, days: 1 },
  );
  switchCreds.push({ key: c.keyPem, cert: c.certPem, ca: ca.certPem });
}
const tlsOf = (c: Contender): Pick<BenchOptions, "tls"> =>
  c.tls ? { tls: (id) => switchCreds[id] ?? (switchCreds[0] as { key: string; cert: string; ca: string }) } : {};

const pin = (cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess =>
  spawn("taskset", ["-c", "1", cmd, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });

const contenders: Contender[] = [
  {
    // the product's TSC: mutual TLS
    name: "tsc",
    available: () => true,
    tls: true,
    start: (port) =>
      pin(process.execPath, ["--import", "tsx", "bench/openflow/tsc-l2.ts"], {
        TSC_OPENFLOW_PORT: String(port),
        TSC_BIND_ADDRESS: "127.0.0.1",
        ...files,
      }),
  },
  {
    // the same TSC in plain TCP (the development setting): what TLS costs
    name: "tsc tcp",
    available: () => true,
    start: (port) =>
      pin(process.execPath, ["--import", "tsx", "bench/openflow/tsc-l2.ts"], {
        TSC_OPENFLOW_PORT: String(port),
        TSC_BIND_ADDRESS: "127.0.0.1",
        TSC_INSECURE_TCP: "1",
      }),
  },
  {
    // experiment hook: BENCH_TSC_FLAGS="--single-threaded" adds a second TSC run with those node flags
    name: `tsc ${process.env.BENCH_TSC_FLAGS ?? ""}`.trim(),
    available: () => Boolean(process.env.BENCH_TSC_FLAGS),
    tls: true,
    start: (port) =>
      pin(
        process.execPath,
        [...(process.env.BENCH_TSC_FLAGS ?? "").split(" "), "--import", "tsx", "bench/openflow/tsc-l2.ts"],
        { TSC_OPENFLOW_PORT: String(port), TSC_BIND_ADDRESS: "127.0.0.1", ...files },
      ),
  },
  {
    name: "ovs-testcontroller",
    available: () => existsSync("/usr/bin/ovs-testcontroller"),
    start: (port) =>
      pin("/usr/bin/ovs-testcontroller", [
        "-O",
        "OpenFlow13",
        "--no-chdir",
        "-vconsole:emer",
        `--unixctl=${tmp}/tc-${port}.ctl`,
        `ptcp:${port}:127.0.0.1`,
      ]),
  },
  {
    name: "os-ken",
    available: () => existsSync("/usr/bin/osken-manager"),
    start: (port) =>
      pin("/usr/bin/python3", [
        "/usr/bin/osken-manager",
        "--ofp-listen-host",
        "127.0.0.1",
        "--ofp-tcp-listen-port",
        String(port),
        path.join(root, "bench/openflow/os-ken/l2_learning_13.py"),
      ]),
  },
];

async function waitListening(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`controller exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("controller did not start listening");
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(t);
}

function fmtN(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const results = new Map<
  string,
  { tput: number[]; lat: number[]; p50: number[]; p99: number[]; minShare: number[]; cpuUs: number[] }
>();
let port = 20000 + Math.floor(Math.random() * 20000);
const active = contenders.filter((c) => c.available() && (!only || only.includes(c.name)));
console.log(
  `ofbench13: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, node ${process.version}, load ${os.loadavg()[0]?.toFixed(2)}`,
);
console.log(
  `rounds=${ROUNDS} seconds=${SECONDS} switches=${SWITCHES} macs/switch=${MACS} window=${WINDOW}; contenders: ${active.map((c) => c.name).join(", ")}`,
);

try {
  // throughput: a fresh controller per run, contenders alternating round by round
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of active) {
      const r = results.get(c.name) ?? { tput: [], lat: [], p50: [], p99: [], minShare: [], cpuUs: [] };
      results.set(c.name, r);
      port++;
      const child = c.start(port);
      try {
        await waitListening(port, child);
        let cpu0 = NaN;
        let cpu = NaN;
        const onWindow = (edge: "start" | "end"): void => {
          if (edge === "start") cpu0 = cpuSeconds(child.pid);
          else cpu = cpuSeconds(child.pid) - cpu0;
        };
        const res: BenchResult = await runBench({
          ...tlsOf(c),
          host: "127.0.0.1",
          port,
          switches: SWITCHES,
          macsPerSwitch: MACS,
          durationMs: SECONDS * 1000,
          mode: "throughput",
          window: WINDOW,
          onWindow,
        });
        const cpuUs = (cpu / (res.flowModsPerSec * SECONDS)) * 1e6;
        r.cpuUs.push(cpuUs);
        r.tput.push(res.flowModsPerSec);
        r.minShare.push(Math.min(...res.perSwitch) / (res.flowModsPerSec / res.perSwitch.length));
        console.log(
          `round ${round} ${c.name.padEnd(18)} throughput ${fmtN(res.flowModsPerSec).padStart(10)} flow-mods/s  controller ${cpuUs.toFixed(1)} cpu-us/flow-mod  (generator cpu ${(res.generatorCpu * 100).toFixed(0)}%, load ${os.loadavg()[0]?.toFixed(2)})`,
        );
      } catch (e) {
        console.log(`round ${round} ${c.name} throughput: FAILED ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        await stop(child);
      }
    }
  }
  // latency: all controllers up at once (idle ones cost nothing), short samples alternating
  // contender by contender, so machine noise lands on all of them alike
  const up = active.map((c) => ({ c, port: ++port, child: c.start(port) }));
  try {
    for (const u of up) await waitListening(u.port, u.child);
    // warm-up, not measured: a long-running controller has its hot paths compiled (JIT for Node and
    // Python alike); without this a fresh process is measured mostly in its interpreter
    for (const u of up)
      await runBench({
        ...tlsOf(u.c),
        host: "127.0.0.1",
        port: u.port,
        switches: 4,
        macsPerSwitch: MACS,
        durationMs: 1500,
        mode: "throughput",
        window: 200,
      }).catch(() => undefined);
    /** Wait until no controller is still busy (a slow one drains its backlog after a run). */
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        const before = up.map((u) => cpuSeconds(u.child.pid));
        await new Promise((r) => setTimeout(r, 100));
        if (up.every((u, k) => cpuSeconds(u.child.pid) - (before[k] ?? 0) <= 0.01)) return;
      }
    };
    for (let sample = 1; sample <= ROUNDS * 3; sample++) {
      // rotate who goes first, and never start while another controller is still working
      for (const u of [...up.slice(sample % up.length), ...up.slice(0, sample % up.length)]) {
        await settle();
        const r = results.get(u.c.name);
        if (!r) continue;
        try {
          const res = await runBench({
            ...tlsOf(u.c),
            host: "127.0.0.1",
            port: u.port,
            switches: 1,
            macsPerSwitch: MACS,
            durationMs: 2000,
            mode: "latency",
            window: 1,
          });
          r.lat.push(res.flowModsPerSec);
          r.p50.push(res.latencyUs?.p50 ?? NaN);
          r.p99.push(res.latencyUs?.p99 ?? NaN);
          console.log(
            `sample ${sample} ${u.c.name.padEnd(18)} latency ${fmtN(res.flowModsPerSec).padStart(8)} resp/s p50=${res.latencyUs?.p50.toFixed(1)}us p99=${res.latencyUs?.p99.toFixed(1)}us (load ${os.loadavg()[0]?.toFixed(2)})`,
          );
        } catch (e) {
          console.log(`sample ${sample} ${u.c.name} latency: FAILED ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  } finally {
    for (const u of up) await stop(u.child);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const fmt = fmtN;
console.log(
  `\nmedians: throughput over ${ROUNDS} rounds, latency over ${ROUNDS * 3} two-second samples (p50/p99 = median of the per-sample values)`,
);
console.log(
  "controller          throughput/s  cpu-us/flow-mod  min-switch-share  latency-mode resp/s  p50 us   p99 us",
);
for (const [name, r] of results) {
  console.log(
    `${name.padEnd(18)} ${fmt(median(r.tput)).padStart(13)}  ${median(r.cpuUs).toFixed(1).padStart(15)}  ${median(r.minShare).toFixed(2).padStart(16)}  ${fmt(median(r.lat)).padStart(19)}  ${median(r.p50).toFixed(1).padStart(6)}  ${median(r.p99).toFixed(1).padStart(7)}`,
  );
}
const tsc = results.get("tsc");
if (tsc) {
  console.log("\nratios (tsc / other)");
  for (const [name, r] of results) {
    if (name === "tsc") continue;
    console.log(
      `vs ${name.padEnd(18)} throughput ${(median(tsc.tput) / median(r.tput)).toFixed(1)}x   cpu per flow-mod ${(median(tsc.cpuUs) / median(r.cpuUs)).toFixed(2)}x   latency-mode resp/s ${(median(tsc.lat) / median(r.lat)).toFixed(2)}x   p50 ${(median(tsc.p50) / median(r.p50)).toFixed(2)}x (lower is better)`,
    );
  }
}
const tcp = results.get("tsc tcp");
if (tsc && tcp) {
  const spread = (xs: number[]): string => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  console.log(
    `\nTSC mutual TLS / plain TCP: flow setups/s ${(median(tsc.tput) / median(tcp.tput)).toFixed(2)}x (TLS ${spread(tsc.tput)}, TCP ${spread(tcp.tput)})   latency-mode resp/s ${(median(tsc.lat) / median(tcp.lat)).toFixed(2)}x   first-packet p50 ${median(tsc.p50).toFixed(1)} vs ${median(tcp.p50).toFixed(1)} us, p99 ${median(tsc.p99).toFixed(1)} vs ${median(tcp.p99).toFixed(1)} us (target ≥ 0.8x)`,
  );
}
