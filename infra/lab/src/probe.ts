import { tryRun } from "./exec.ts";

/**
 * Probes run inside a lab namespace (a host or an instance) and answer yes/no with the output,
 * so a test can assert both reachability and its absence (default deny).
 */
export interface ProbeResult {
  ok: boolean;
  out: string;
}

export interface PingOptions {
  count?: number;
  ttl?: number;
  /** seconds to wait for each reply */
  waitS?: number;
  size?: number;
  dontFragment?: boolean;
}

/** A failed probe's answer is its program's last words, not the whole command line. */
async function probe(args: string[], timeoutMs: number): Promise<ProbeResult> {
  const r = await tryRun("ip", args, { timeoutMs });
  return r.ok ? r : { ok: false, out: r.out.slice(r.out.lastIndexOf(" failed: ") + " failed: ".length) };
}

export function ping(ns: string, ip: string, o: PingOptions = {}): Promise<ProbeResult> {
  const args = ["netns", "exec", ns, "ping", "-n", "-c", String(o.count ?? 1), "-W", String(o.waitS ?? 1), "-i", "0.2"];
  if (o.ttl !== undefined) args.push("-t", String(o.ttl));
  if (o.size !== undefined) args.push("-s", String(o.size));
  if (o.dontFragment) args.push("-M", "do");
  return probe([...args, ip], 30_000);
}

const TCP_JS = `const [ip, port, ms] = process.argv.slice(1);
const s = require("net").connect(Number(port), ip, () => s.write("probe"));
s.on("data", (d) => { if (String(d).includes("probe")) { console.log("ok"); process.exit(0); } });
s.on("error", (e) => { console.log(e.code); process.exit(1); });
setTimeout(() => { console.log("timeout"); process.exit(1); }, Number(ms));`;

const UDP_JS = `const [ip, port, ms] = process.argv.slice(1);
const s = require("dgram").createSocket("udp4");
const send = () => s.send("probe", Number(port), ip); send(); setInterval(send, 100);
s.on("message", () => { console.log("ok"); process.exit(0); });
setTimeout(() => { console.log("timeout"); process.exit(1); }, Number(ms));`;

/** Connects to ip:port from `ns`, sends "probe" and expects it echoed (the instance server's TCP echo). */
export function tcpProbe(ns: string, ip: string, port = 7, timeoutMs = 1_500): Promise<ProbeResult> {
  return probe(
    ["netns", "exec", ns, process.execPath, "-e", TCP_JS, ip, String(port), String(timeoutMs)],
    timeoutMs + 5_000,
  );
}

/** Sends UDP datagrams from `ns` until one is echoed back or the time is up. */
export function udpProbe(ns: string, ip: string, port = 7, timeoutMs = 1_500): Promise<ProbeResult> {
  return probe(
    ["netns", "exec", ns, process.execPath, "-e", UDP_JS, ip, String(port), String(timeoutMs)],
    timeoutMs + 5_000,
  );
}
