import { connect, type Socket } from "node:net";

/** Longest answer kept; ovs-vswitchd's answers to what we ask are a few bytes. */
const MAX_BUFFERED = 1 << 20;

/**
 * Splits a stream of back-to-back JSON objects (how ovs-vswitchd's control socket speaks
 * JSON-RPC: no delimiter between messages) into whole objects' text.
 */
export class JsonObjectSplitter {
  private buf = "";
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  push(chunk: string): string[] {
    this.buf += chunk;
    if (this.buf.length > MAX_BUFFERED) throw new Error("the control socket sent an answer too long to be ours");
    const out: string[] = [];
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === "\\") this.escaped = true;
        else if (c === '"') this.inString = false;
      } else if (c === '"') this.inString = true;
      else if (c === "{") {
        if (this.depth++ === 0) this.start = i;
      } else if (c === "}") {
        if (this.depth === 0) throw new Error("the control socket sent malformed JSON");
        if (--this.depth === 0) {
          out.push(this.buf.slice(this.start, i + 1));
          this.buf = this.buf.slice(i + 1);
          i = -1;
          this.start = -1;
        }
      }
      this.scanned = i + 1;
    }
    if (this.depth === 0 && this.buf.trim() === "") [this.buf, this.scanned] = ["", 0];
    return out;
  }
}

interface Pending {
  resolve: (result: string) => void;
  reject: (e: Error) => void;
}

/**
 * A kept-open connection to ovs-vswitchd's control socket (what `ovs-appctl` speaks, without a
 * process per call). Calls are answered in order; a closed or failed connection rejects what is
 * pending and the next call opens a new one.
 */
export class UnixctlClient {
  private socket: Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(private readonly path: () => Promise<string> | string) {}

  async call(method: string, params: string[] = []): Promise<string> {
    const socket = this.socket ?? (await this.open());
    const id = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      socket.write(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private async open(): Promise<Socket> {
    const path = await this.path();
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path);
      s.once("connect", () => resolve(s));
      s.once("error", (e) => reject(new Error(`cannot reach ovs-vswitchd's control socket ${path}: ${e.message}`)));
    });
    const splitter = new JsonObjectSplitter();
    socket.setEncoding("utf8");
    const fail = (e: Error) => {
      if (this.socket === socket) this.socket = undefined;
      socket.destroy();
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    socket.on("data", (chunk: string) => {
      try {
        for (const text of splitter.push(chunk)) this.answer(JSON.parse(text) as Record<string, unknown>);
      } catch (e) {
        fail(e instanceof Error ? e : new Error(String(e)));
      }
    });
    socket.on("error", (e) => fail(new Error(`ovs-vswitchd's control socket: ${e.message}`)));
    socket.on("close", () => fail(new Error("ovs-vswitchd closed its control socket")));
    this.socket = socket;
    return socket;
  }

  private answer(m: Record<string, unknown>): void {
    const p = typeof m.id === "number" ? this.pending.get(m.id) : undefined;
    if (!p) return;
    this.pending.delete(m.id as number);
    if (m.error !== null && m.error !== undefined)
      p.reject(new Error(typeof m.error === "string" ? m.error.trim() : JSON.stringify(m.error)));
    else p.resolve(typeof m.result === "string" ? m.result : "");
  }
}
