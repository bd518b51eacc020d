import { OpenFlowDecodeError, OpenFlowEncodeError } from "../errors.ts";

/**
 * A bounds-checked cursor over one message. Every read checks against `end`, so a lying length
 * field can never make us read (or allocate) past the bytes we were given.
 */
export class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    public end: number,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new OpenFlowDecodeError("TRUNCATED", `${what}: need ${n} bytes, ${this.end - this.pos} left`, this.pos);
    }
  }

  u8(): number {
    this.need(1, "u8");
    return this.bytes[this.pos++] ?? 0;
  }
  u16(): number {
    this.need(2, "u16");
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 2;
    return ((b[p] ?? 0) << 8) | (b[p + 1] ?? 0);
  }
  u32(): number {
    this.need(4, "u32");
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] ?? 0) * 0x1000000 + (((b[p + 1] ?? 0) << 16) | ((b[p + 2] ?? 0) << 8) | (b[p + 3] ?? 0));
  }
  u64(): bigint {
    const hi = this.u32();
    const lo = this.u32();
    return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
  }
  skip(n: number): void {
    this.need(n, "padding");
    this.pos += n;
  }
  /** True when every remaining byte is zero (padding), without allocating a view. */
  restIsZero(): boolean {
    for (let i = this.pos; i < this.end; i++) if (this.bytes[i] !== 0) return false;
    return true;
  }
  /** A view (no copy) of the next n bytes, as a plain Uint8Array. */
  bytesView(n: number): Uint8Array {
    this.need(n, "bytes");
    const out = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.pos, n);
    this.pos += n;
    return out;
  }
  /** A sub-reader over the next n bytes; advances this reader past them. */
  sub(n: number, what: string): Reader {
    this.need(n, what);
    const r = new Reader(this.bytes, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
  /** A NUL-padded fixed-width ASCII string. */
  fixedString(n: number): string {
    this.need(n, "string");
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = this.bytes[this.pos + i] ?? 0;
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    this.pos += n;
    return s;
  }
}

/**
 * A growable big-endian writer. The session encodes many messages into one Writer and hands the
 * filled prefix to the socket in a single write, so the hot path allocates per batch, not per message.
 */
export class Writer {
  buf: Buffer;
  pos = 0;
  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }
  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
  }
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }
  private lastU64 = 0n;
  private lastHi = 0;
  private lastLo = 0;
  u64(v: bigint): void {
    if (v === 0n) {
      this.zeros(8);
      return;
    }
    if (v !== this.lastU64) {
      const u = BigInt.asUintN(64, v);
      this.lastU64 = v;
      this.lastHi = Number(u >> 32n);
      this.lastLo = Number(u & 0xffffffffn);
    }
    this.u32(this.lastHi);
    this.u32(this.lastLo);
  }
  zeros(n: number): void {
    this.ensure(n);
    const b = this.buf;
    const end = this.pos + n;
    if (n > 32) b.fill(0, this.pos, end);
    else for (let i = this.pos; i < end; i++) b[i] = 0;
    this.pos = end;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  fixedString(s: string, n: number): void {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.buf.write(s.slice(0, n - 1), this.pos, "latin1");
    this.pos += n;
  }
  /** Pad with zeros up to a multiple of 8 counted from `start`. */
  pad8(start: number): void {
    const rem = (this.pos - start) % 8;
    if (rem !== 0) this.zeros(8 - rem);
  }
  /** Write a u16 length field at `at`. */
  patchU16(at: number, v: number): void {
    if (v > 0xffff) throw new OpenFlowEncodeError(`length ${v} does not fit in 16 bits`);
    this.buf.writeUInt16BE(v, at);
  }
  reset(): void {
    this.pos = 0;
  }
  /** Take the filled bytes as a fresh Buffer and start over (the one allocation per batch). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

export function checkUint(v: number, bits: 8 | 16 | 32, what: string): void {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new OpenFlowEncodeError(`${what}=${v} is not a u${bits}`);
}
