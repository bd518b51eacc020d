/**
 * ofbench13: a cbench-like OpenFlow 1.3 load generator of our own.
 *
 * N simulated switches connect to a controller, complete its handshake (features, barrier, echo,
 * multipart, config and role requests are answered), teach it every host MAC with one broadcast
 * packet-in each, then send unbuffered PACKET_INs between known hosts and count FLOW_MODs back.
 *   throughput mode: each switch keeps `window` packet-ins outstanding (refilled per flow-mod).
 *   latency mode:    each switch has exactly one packet-in outstanding; RTT per flow-mod.
 * The hot path only reads message headers; packet-ins are stamped from a template.
 */
import net from "node:net";
import tls from "node:tls";

export interface BenchOptions {
  host: string;
  port: number;
  switches: number;
  macsPerSwitch: number;
  durationMs: number;
  mode: "throughput" | "latency";
  /** Outstanding packet-ins per switch in throughput mode. */
  window: number;
  /** Mutual TLS: the client certificate of switch `id` (its datapath id is id + 1), as Open vSwitch with set-ssl. */
  tls?: (id: number) => { key: string; cert: string; ca: string };
  /** Called when the measured window opens and closes (e.g. to read the controller's CPU time). */
  onWindow?: (edge: "start" | "end") => void;
}

export interface BenchResult {
  mode: BenchOptions["mode"];
  flowModsPerSec: number;
  perSwitch: number[];
  latencyUs?: { p50: number; p99: number; samples: number };
  /** CPU the generator itself used during the run, as a fraction of one core (1.0 = saturated). */
  generatorCpu: number;
}

const FRAME_LEN = 64;
const PIN_LEN = 8 + 16 + 16 + 2 + FRAME_LEN; // header, fixed fields, match(in_port) padded, pad, frame

function packetInTemplate(): Buffer {
  const b = Buffer.alloc(PIN_LEN);
  b.writeUInt8(4, 0);
  b.writeUInt8(10, 1);
  b.writeUInt16BE(PIN_LEN, 2);
  b.writeUInt32BE(0xffffffff, 8); // buffer_id: none
  b.writeUInt16BE(FRAME_LEN, 12); // total_len
  b.writeUInt8(0, 14); // reason: no match
  b.writeUInt8(0, 15); // table
  // cookie 16..23 = 0; match at 24: type 1, length 12, OXM in_port
  b.writeUInt16BE(1, 24);
  b.writeUInt16BE(12, 26);
  b.writeUInt32BE(0x80000004, 28);
  // in_port value at 32..35, match padding 36..39, pad 40..41, frame at 42
  const f = 42;
  b.writeUInt16BE(0x0800, f + 12);
  b.writeUInt8(0x45, f + 14);
  b.writeUInt16BE(FRAME_LEN - 14, f + 16);
  b.writeUInt8(64, f + 22);
  b.writeUInt8(17, f + 23);
  b.writeUInt32BE(0x0a000001, f + 26);
  b.writeUInt32BE(0x0a000002, f + 30);
  b.writeUInt16BE(1234, f + 34);
  b.writeUInt16BE(5678, f + 36);
  b.writeUInt16BE(FRAME_LEN - 34, f + 38);
  return b;
}
const TEMPLATE = packetInTemplate();
const portOf = (i: number): number => (i % 4) + 1;

class SimSwitch {
  readonly socket: net.Socket;
  flowMods = 0;
  /** PACKET_OUTs seen (the answers to the teaching broadcasts). */
  packetOuts = 0;
  counting = false;
  ready: Promise<void>;
  private markReady: () => void = () => undefined;
  private pending: Buffer | null = null;
  private xid = 1;
  private seq = 0;
  private outstanding = 0;
  private sentAt = 0n;
  readonly rtts: number[] = [];
  private out: Buffer[] = [];
  private flushQueued = false;
  running = false;

  constructor(
    private readonly id: number,
    private readonly o: BenchOptions,
  ) {
    this.ready = new Promise((r) => (this.markReady = r));
    const creds = o.tls?.(id);
    this.socket = creds
      ? tls.connect({ port: o.port, host: o.host, ...creds, checkServerIdentity: () => undefined })
      : net.connect(o.port, o.host);
    this.socket.setNoDelay(true);
    this.socket.on("error", () => undefined);
    this.socket.on(creds ? "secureConnect" : "connect", () =>
      this.write(Buffer.from([4, 0, 0, 16, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0x10])),
    );
    this.socket.on("data", (c: Buffer) => this.onData(c));
  }

  private write(b: Buffer): void {
    this.out.push(b);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        const bufs = this.out;
        this.out = [];
        this.socket.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
      });
    }
  }

  private reply(type: number, xid: number, body: Buffer): void {
    const b = Buffer.alloc(8 + body.length);
    b.writeUInt8(4, 0);
    b.writeUInt8(type, 1);
    b.writeUInt16BE(b.length, 2);
    b.writeUInt32BE(xid, 4);
    body.copy(b, 8);
    this.write(b);
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let off = 0;
    let got = 0;
    while (buf.length - off >= 8) {
      const len = buf.readUInt16BE(off + 2);
      if (len < 8) throw new Error("controller sent a message shorter than a header");
      if (buf.length - off < len) break;
      const type = buf[off + 1]!;
      const xid = buf.readUInt32BE(off + 4);
      if (type === 14) got++;
      else if (type === 13) this.packetOuts++;
      else this.control(type, xid, buf.subarray(off, off + len));
      off += len;
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off));
    buf = Buffer.alloc(0);
    if (got > 0) this.onFlowMods(got);
  }

  private control(type: number, xid: number, msg: Buffer): void {
    switch (type) {
      case 5: {
        const body = Buffer.alloc(24);
        body.writeBigUInt64BE(BigInt(this.id + 1), 0);
        body.writeUInt8(254, 12);
        body.writeUInt32BE(0x4f, 16);
        this.reply(6, xid, body);
        this.markReady();
        return;
      }
      case 2:
        return this.reply(3, xid, msg.subarray(8));
      case 20:
        return this.reply(21, xid, Buffer.alloc(0));
      case 7:
        return this.reply(8, xid, Buffer.from([0, 0, 0xff, 0xff]));
      case 18: {
        const body = Buffer.alloc(8);
        body.writeUInt16BE(msg.readUInt16BE(8), 0);
        return this.reply(19, xid, body);
      }
      case 24:
        return this.reply(25, xid, msg.subarray(8));
      default:
        return;
    }
  }

  /** Stamp one packet-in into `b` at `off` (template copy + xid, in_port, MACs); no allocation. */
  private stamp(b: Buffer, off: number, src: number, dst: number | null): void {
    TEMPLATE.copy(b, off);
    b.writeUInt32BE(this.xid++ >>> 0, off + 4);
    b[off + 35] = portOf(src);
    const d = off + 42;
    if (dst === null) b.fill(0xff, d, d + 6);
    else {
      b[d] = 2;
      b[d + 1] = 0;
      b[d + 2] = (this.id >> 8) & 0xff;
      b[d + 3] = this.id & 0xff;
      b[d + 4] = (dst >> 8) & 0xff;
      b[d + 5] = dst & 0xff;
    }
    b[d + 6] = 2;
    b[d + 7] = 0;
    b[d + 8] = (this.id >> 8) & 0xff;
    b[d + 9] = this.id & 0xff;
    b[d + 10] = (src >> 8) & 0xff;
    b[d + 11] = src & 0xff;
  }

  private batch(n: number, pick: () => [number, number | null]): Buffer {
    const b = Buffer.allocUnsafe(n * PIN_LEN);
    for (let i = 0; i < n; i++) {
      const [src, dst] = pick();
      this.stamp(b, i * PIN_LEN, src, dst);
    }
    return b;
  }

  /** One broadcast packet-in per host so a learning controller knows every MAC. */
  teach(): void {
    let i = 0;
    this.write(this.batch(this.o.macsPerSwitch, () => [i++, null]));
  }

  private pair = (): [number, number] => {
    const m = this.o.macsPerSwitch;
    const src = this.seq % m;
    let dst = (this.seq + 1 + Math.floor(this.seq / m)) % m;
    if (dst === src) dst = (src + 1) % m;
    this.seq++;
    return [src, dst];
  };

  start(): void {
    this.running = true;
    this.counting = true;
    if (this.o.mode === "latency") this.sendOne();
    else this.refill();
  }

  /** Latency mode writes straight to the socket (no batching turn) so the generator adds as little as it can. */
  private sendOne(): void {
    this.outstanding = 1;
    const b = this.batch(1, this.pair);
    this.sentAt = process.hrtime.bigint();
    this.socket.write(b);
  }

  private refill(): void {
    const n = this.o.window - this.outstanding;
    if (n <= 0) return;
    this.outstanding += n;
    this.write(this.batch(n, this.pair));
  }

  private onFlowMods(n: number): void {
    if (!this.counting) return;
    this.flowMods += n;
    if (!this.running) return;
    if (this.o.mode === "latency") {
      this.rtts.push(Number(process.hrtime.bigint() - this.sentAt) / 1000);
      this.sendOne();
    } else {
      this.outstanding = Math.max(0, this.outstanding - n);
      if (this.outstanding <= this.o.window / 2) this.refill();
    }
  }

  /** If a controller dropped packet-ins, the window would shrink forever: re-open it when nothing comes back. */
  unstick(): void {
    if (this.running && this.o.mode === "throughput") {
      this.outstanding = 0;
      this.refill();
    } else if (this.running) this.sendOne();
  }
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const sws = Array.from({ length: o.switches }, (_, i) => new SimSwitch(i, o));
  try {
    await Promise.race([
      Promise.all(sws.map((s) => s.ready)),
      new Promise((_, j) => setTimeout(() => j(new Error("controller did not complete the handshake")), 10_000)),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    for (const s of sws) s.teach();
    // a slow controller must finish the teaching backlog first, or it would be measured while flooding
    const taught = Date.now();
    while (sws.some((s) => s.packetOuts < o.macsPerSwitch) && Date.now() - taught < 60_000)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    let last = sws.map(() => 0);
    const watchdog = setInterval(() => {
      sws.forEach((s, i) => {
        if (s.flowMods === last[i]) s.unstick();
      });
      last = sws.map((s) => s.flowMods);
    }, 500);
    o.onWindow?.("start");
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (const s of sws) s.start();
    await new Promise((r) => setTimeout(r, o.durationMs));
    for (const s of sws) s.running = false;
    o.onWindow?.("end");
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(watchdog);
    const perSwitch = sws.map((s) => s.flowMods / secs);
    const result: BenchResult = {
      mode: o.mode,
      flowModsPerSec: perSwitch.reduce((a, b) => a + b, 0),
      perSwitch,
      generatorCpu: (cpu.user + cpu.system) / 1e6 / secs,
    };
    if (o.mode === "latency") {
      const all = sws.flatMap((s) => s.rtts).sort((a, b) => a - b);
      result.latencyUs = { p50: pct(all, 0.5), p99: pct(all, 0.99), samples: all.length };
    }
    return result;
  } finally {
    for (const s of sws) s.socket.destroy();
  }
}
