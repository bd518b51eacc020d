import { spawn } from "node:child_process";
import { ipv4ToNumber, macToBytes } from "@nvi/openflow";
import { run, tryRun } from "@nvi/lab";

/**
 * Probes the data-path tests and benchmarks run inside lab namespaces, on top of the lab's
 * ping/tcpProbe/udpProbe: who answered an HTTP request, how many packets an interface received,
 * raw frames a root user in an instance could forge, and a capture on the underlay.
 */

const HTTP_JS = `const [ip, ms] = process.argv.slice(1);
const r = require("http").get({ host: ip, port: 80, path: "/", timeout: Number(ms) }, (res) => { let b = ""; res.on("data", (d) => (b += d)); res.on("end", () => { console.log(b.trim()); process.exit(0); }); });
r.on("timeout", () => { console.log("timeout"); process.exit(1); }); r.on("error", (e) => { console.log(e.code); process.exit(1); });`;

/** The body of http://ip/ fetched from `ns` (the instance server answers "instance NAME"), or undefined. */
export async function httpWho(ns: string, ip: string, timeoutMs = 1_500): Promise<string | undefined> {
  const r = await tryRun("ip", ["netns", "exec", ns, process.execPath, "-e", HTTP_JS, ip, String(timeoutMs)], {
    timeoutMs: timeoutMs + 5_000,
  });
  return r.ok ? r.out.trim() : undefined;
}

/** A packet counter of an interface inside a namespace (kernel statistics). */
async function packets(ns: string, dev: string, counter: "rx_packets" | "tx_packets"): Promise<number> {
  return Number((await run("ip", ["netns", "exec", ns, "cat", `/sys/class/net/${dev}/statistics/${counter}`])).trim());
}

/** Packets received by an interface inside a namespace. */
export const rxPackets = (ns: string, dev = "eth0"): Promise<number> => packets(ns, dev, "rx_packets");

/** Packets sent by an interface inside a namespace. */
export const txPackets = (ns: string, dev = "eth0"): Promise<number> => packets(ns, dev, "tx_packets");

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const u16 = (n: number): string => n.toString(16).padStart(4, "0");
const u32 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");

function ipChecksum(headerHex: string): number {
  let sum = 0;
  for (let i = 0; i < headerHex.length; i += 4) sum += parseInt(headerHex.slice(i, i + 4), 16);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface FrameSpec {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  /** UDP destination port (the instance server echoes on 7) */
  dport?: number;
}

/** An Ethernet + IPv4 + UDP frame as hex (UDP checksum 0 = none). */
export function udpFrameHex(f: FrameSpec): string {
  const payload = Buffer.from("forged").toString("hex");
  const udpLen = 8 + payload.length / 2;
  const ipNoSum = `4500${u16(20 + udpLen)}00004000401100${"00".repeat(1)}${u32(ipv4ToNumber(f.srcIp))}${u32(ipv4ToNumber(f.dstIp))}`;
  const ip = ipNoSum.slice(0, 20) + u16(ipChecksum(ipNoSum)) + ipNoSum.slice(24);
  return `${hex(macToBytes(f.dstMac))}${hex(macToBytes(f.srcMac))}0800${ip}${u16(40000)}${u16(f.dport ?? 7)}${u16(udpLen)}0000${payload}`;
}

/** An ARP reply "ip is at mac" sent to `dstMac` (broadcast for a gratuitous one) as hex. */
export function arpReplyHex(o: {
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
  dstMac: string;
}): string {
  return `${hex(macToBytes(o.dstMac))}${hex(macToBytes(o.senderMac))}0806000108000604${u16(2)}${hex(macToBytes(o.senderMac))}${u32(ipv4ToNumber(o.senderIp))}${hex(macToBytes(o.targetMac))}${u32(ipv4ToNumber(o.targetIp))}`;
}

/** Sends raw frames out of `dev` inside `ns` (what root in an instance can do), `times` each. */
export async function sendRawFrames(ns: string, framesHex: string[], times = 3, dev = "eth0"): Promise<void> {
  const py = `import socket,sys,time
s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW); s.bind((sys.argv[1],0))
for _ in range(int(sys.argv[2])):
  for h in sys.argv[3:]: s.send(bytes.fromhex(h))
  time.sleep(0.05)`;
  await run("ip", ["netns", "exec", ns, "/usr/bin/python3", "-c", py, dev, String(times), ...framesHex]);
}

/** Captures up to `count` frames on `dev` in `ns` while `during` runs; returns tcpdump's lines (-e -n -v). */
export async function capture(
  ns: string,
  dev: string,
  filter: string,
  count: number,
  during: () => Promise<unknown>,
): Promise<string[]> {
  const child = spawn(
    "ip",
    ["netns", "exec", ns, "tcpdump", "-l", "-e", "-n", "-v", "-i", dev, "-c", String(count), filter],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const listening = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2_000);
    child.stderr.on("data", () => {
      if (err.includes("listening on")) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  await listening;
  try {
    await during();
  } finally {
    await new Promise((r) => setTimeout(r, 300));
    if (child.exitCode === null) child.kill("SIGINT");
    await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r(null)));
  }
  return out.split("\n").filter((l) => l.trim().length > 0);
}

/** An IPv4 packet as a `tcpdump -n -v` capture prints it (its second line); no ports on a later fragment. */
export interface CapturedPacket {
  line: string;
  src: string;
  srcPort: string | undefined;
  dst: string;
  dstPort: string | undefined;
  /** the word after the addresses: "UDP," for a whole datagram, "udp"/"ip-proto-17" for a later fragment */
  proto: string;
}

/** The packets of a capture (the lines starting with an address); one that does not parse has empty addresses. */
export function capturedPackets(lines: readonly string[]): CapturedPacket[] {
  return lines
    .filter((l) => /^\s+\d+\.\d+\.\d+\.\d+/.test(l))
    .map((line) => {
      const m = /^\s+(\d+\.\d+\.\d+\.\d+)(?:\.(\d+))? > (\d+\.\d+\.\d+\.\d+)(?:\.(\d+))?: (\S+)/.exec(line);
      return { line, src: m?.[1] ?? "", srcPort: m?.[2], dst: m?.[3] ?? "", dstPort: m?.[4], proto: m?.[5] ?? "" };
    });
}

/**
 * A TCP stream from `ns` to the echo port of `ip`: a numbered line every 50 ms for `ms`, each
 * echoed back; answers what was sent and echoed, the longest wait between echoes, and the socket
 * error if any (a reset ends it).
 */
const STREAM_JS = `
const [ip, ms] = process.argv.slice(1);
const s = require("net").connect(7, ip);
let sent = 0, echoed = 0, last = Date.now(), maxGapMs = 0, error = null, buf = "";
s.setNoDelay(true);
s.on("data", (d) => {
  buf += d; const lines = buf.split("\\n"); buf = lines.pop();
  const now = Date.now(); maxGapMs = Math.max(maxGapMs, now - last); last = now; echoed += lines.length;
});
s.on("error", (e) => { error = e.code || e.message; });
s.on("connect", () => {
  const t = setInterval(() => { if (!s.destroyed) s.write(String(++sent) + "\\n"); }, 50);
  setTimeout(() => { clearInterval(t); maxGapMs = Math.max(maxGapMs, Date.now() - last); setTimeout(() => {
    console.log(JSON.stringify({ sent, echoed, maxGapMs, error })); s.destroy(); process.exit(0);
  }, 3000); }, Number(ms));
});
`;

export function stream(
  ns: string,
  ip: string,
  ms: number,
): Promise<{ sent: number; echoed: number; maxGapMs: number; error: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", STREAM_JS, ip, String(ms)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", () => {
      try {
        resolve(JSON.parse(out.trim()) as { sent: number; echoed: number; maxGapMs: number; error: string | null });
      } catch {
        reject(new Error(`the stream printed no result: ${out}`));
      }
    });
  });
}
