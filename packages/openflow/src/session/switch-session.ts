import type { Socket } from "node:net";
import { BadRequestCode, ErrorType, HelloFailedCode, OFP_VERSION, PortReason } from "../constants.ts";
import { Writer } from "../codec/bytes.ts";
import { decodeMessage, encodeInto } from "../codec/codec.ts";
import { MessageOf, MultipartReplyBody, MultipartRequestBody, OpenFlowMessage, PortDesc } from "../codec/messages.ts";
import { OpenFlowDecodeError, OpenFlowEncodeError, OpenFlowRequestError, OpenFlowSessionError } from "../errors.ts";
import { Framer } from "./framer.ts";
import { peerCertificate, peerCommonName } from "./peer-identity.ts";
import { MAX_MULTIPART_PARTS, PendingRequests, REPLY_TYPES } from "./pending-requests.ts";
import { ResolvedSessionOptions, resolveSessionOptions } from "./session-options.ts";
import {
  AsyncMessage,
  OpenFlowLogger,
  SessionEvents,
  SessionOptions,
  SessionState,
  silentLogger,
  SwitchFeatures,
} from "./types.ts";

/** Messages only a controller sends: a switch sending them is answered with BAD_TYPE. */
const CONTROLLER_ONLY = new Set<OpenFlowMessage["type"]>([
  "featuresRequest",
  "getConfigRequest",
  "setConfig",
  "packetOut",
  "flowMod",
  "groupMod",
  "meterMod",
  "multipartRequest",
  "barrierRequest",
  "roleRequest",
]);
const FLUSH_NOW_BYTES = 256 * 1024;

/** One connected switch: handshake, keepalive, xid correlation, batched writes with backpressure. */
export class SwitchSession {
  state: SessionState = "handshaking";
  features: SwitchFeatures | undefined;
  readonly ports = new Map<number, PortDesc>();
  closeReason: string | undefined;

  private readonly framer: Framer;
  private readonly out = new Writer(16 * 1024);
  private readonly requests = new PendingRequests();
  private readonly listeners: { [K in keyof SessionEvents]: SessionEvents[K][] } = {
    ready: [],
    message: [],
    portsChanged: [],
    close: [],
  };
  private readonly log: OpenFlowLogger;
  private xid = 1;
  private gotHello = false;
  private blocked = false;
  private flushScheduled = false;
  /** True while a received chunk is being handled: its answers are flushed when it ends. */
  private inData = false;
  private lastRx = Date.now();
  private keepalive: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private readonly opts: ResolvedSessionOptions;
  private readonly tap: ((frame: Buffer) => void) | undefined;

  constructor(
    readonly socket: Socket,
    options: SessionOptions = {},
  ) {
    this.opts = resolveSessionOptions(options);
    this.log = options.logger ?? silentLogger;
    this.tap = options.tap;
    this.framer = new Framer(this.opts.maxMessageLength);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("drain", () => {
      this.blocked = false;
      this.flush();
    });
    socket.on("error", (err) => this.close(`socket error: ${err.message}`));
    socket.on("close", () => this.close("connection closed by peer"));
    this.handshakeTimer = setTimeout(() => this.close("handshake timed out"), this.opts.handshakeTimeoutMs);
    this.keepalive = setInterval(() => this.tick(), Math.max(10, Math.floor(this.opts.echoIntervalMs / 2)));
    this.send({ type: "hello", xid: this.nextXid(), version: OFP_VERSION, versions: [OFP_VERSION] });
  }

  /** "address:port" of the peer, for logs. */
  get peer(): string {
    return `${this.socket.remoteAddress ?? "?"}:${this.socket.remotePort ?? 0}`;
  }
  /** CN of the switch's client certificate on a mutual-TLS session (bind datapath ids to identities). */
  get peerCommonName(): string | undefined {
    return peerCommonName(this.socket);
  }
  /**
   * The switch's client certificate on a mutual-TLS session (its chain already verified by the
   * listener): subjectAltName as Node prints it and the serial (hex); undefined over plain TCP.
   */
  get peerCertificate(): { subjectAltName: string | undefined; serialNumber: string } | undefined {
    return peerCertificate(this.socket);
  }
  get datapathId(): bigint | undefined {
    return this.features?.datapathId;
  }
  /** False while the socket is not draining; callers that stream many messages may wait for `drained()`. */
  get writable(): boolean {
    return !this.blocked && this.state !== "closed";
  }

  on<K extends keyof SessionEvents>(event: K, fn: SessionEvents[K]): this {
    this.listeners[event].push(fn);
    return this;
  }

  nextXid(): number {
    const x = this.xid;
    this.xid = this.xid >= 0xfffffffe ? 1 : this.xid + 1;
    return x;
  }

  /** Queue a message; writes are coalesced into one socket write per event-loop turn. */
  send(msg: OpenFlowMessage): void {
    if (this.state === "closed") return;
    encodeInto(this.out, msg);
    if (this.out.pos > this.opts.maxPendingWriteBytes) {
      this.close(`backpressure: ${this.out.pos} bytes waiting for a socket that does not drain`);
      return;
    }
    if (this.out.pos >= FLUSH_NOW_BYTES) this.flush();
    else if (!this.flushScheduled && !this.inData) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Send with a fresh xid and wait for the reply with the same xid (OFPT_ERROR rejects). */
  request(msg: OpenFlowMessage, timeoutMs = this.opts.requestTimeoutMs): Promise<OpenFlowMessage> {
    if (this.state === "closed")
      return Promise.reject(new OpenFlowSessionError("CLOSED", `session ${this.peer} is closed`));
    const xid = this.nextXid();
    const reply = this.requests.expect(xid, msg.type, timeoutMs);
    try {
      this.send({ ...msg, xid });
    } catch (e) {
      this.requests.fail(xid, e instanceof Error ? e : new OpenFlowEncodeError(String(e)));
    }
    return reply;
  }

  async barrier(): Promise<void> {
    await this.request({ type: "barrierRequest", xid: 0 });
  }

  /**
   * Send messages, then a barrier; resolves once the switch has processed all of them, with the
   * OFPT_ERRORs it returned for any of them (OpenFlow answers failures only, so silence is success).
   */
  async sendWithBarrier(msgs: readonly OpenFlowMessage[]): Promise<MessageOf<"error">[]> {
    const errors: MessageOf<"error">[] = [];
    const xids = new Set<number>();
    const collect = (m: AsyncMessage): void => {
      if (m.type === "error" && xids.has(m.xid)) errors.push(m);
    };
    this.listeners.message.push(collect);
    try {
      for (const m of msgs) {
        const xid = this.nextXid();
        xids.add(xid);
        this.send({ ...m, xid });
      }
      await this.barrier();
      return errors;
    } finally {
      this.listeners.message = this.listeners.message.filter((f) => f !== collect);
    }
  }

  /** A multipart request; gathers every reply part (flag MORE) into a list of bodies. */
  async multipart(body: MultipartRequestBody): Promise<MultipartReplyBody[]> {
    const last = (await this.request({
      type: "multipartRequest",
      xid: 0,
      flags: 0,
      body,
    })) as MessageOf<"multipartReply"> & { parts?: MessageOf<"multipartReply">[] };
    return (last.parts ?? [last]).map((p) => p.body);
  }

  async setRole(role: number, generationId: bigint): Promise<MessageOf<"roleReply">> {
    return (await this.request({ type: "roleRequest", xid: 0, role, generationId })) as MessageOf<"roleReply">;
  }

  /** Wait until the socket has drained (resolves at once when not blocked). */
  drained(): Promise<void> {
    if (!this.blocked) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /** Close this switch's session only; never throws. */
  close(reason: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.closeReason = reason;
    clearInterval(this.keepalive);
    clearTimeout(this.handshakeTimer);
    if (this.out.pos > 0 && !this.blocked && !this.socket.destroyed) this.socket.write(this.out.take());
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 200).unref();
    this.requests.failAll(() => new OpenFlowSessionError("CLOSED", `session closed: ${reason}`));
    this.log.info("openflow session closed", { peer: this.peer, datapathId: this.datapathId?.toString(16), reason });
    for (const fn of this.listeners.close) this.safely(() => fn(reason));
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.blocked || this.out.pos === 0 || (this.state === "closed" && this.socket.destroyed)) return;
    if (!this.socket.write(this.out.take())) this.blocked = true;
  }

  private tick(): void {
    const silent = Date.now() - this.lastRx;
    if (silent >= this.opts.deadPeerMs) this.close(`dead peer: nothing received for ${silent} ms`);
    else if (silent >= this.opts.echoIntervalMs && this.gotHello) {
      this.request({ type: "echoRequest", xid: 0, data: new Uint8Array(0) }, this.opts.deadPeerMs).catch(
        () => undefined,
      );
    }
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.warn("openflow listener threw", { peer: this.peer, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private onData(chunk: Buffer): void {
    this.lastRx = Date.now();
    this.inData = true;
    try {
      this.framer.push(chunk, (frame) => {
        if (this.state !== "closed") this.onFrame(frame);
      });
      this.inData = false;
      // answers produced synchronously for this chunk leave in one write, without waiting a loop turn
      if (this.out.pos > 0 && this.state !== "closed") this.flush();
    } catch (e) {
      this.inData = false;
      const why =
        e instanceof OpenFlowDecodeError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);
      this.log.warn("openflow session error", { peer: this.peer, reason: why });
      this.close(`malformed message: ${why}`);
    }
  }

  private onFrame(frame: Buffer): void {
    this.tap?.(frame);
    const msg = decodeMessage(frame, this.opts.maxMessageLength);
    if (!this.gotHello) {
      if (msg.type !== "hello") throw new OpenFlowDecodeError("BAD_VALUE", `expected HELLO first, got ${msg.type}`);
      this.onHello(msg);
      return;
    }
    this.dispatch(msg, frame);
  }

  private onHello(hello: MessageOf<"hello">): void {
    this.gotHello = true;
    const ok = hello.versions ? hello.versions.includes(OFP_VERSION) : hello.version >= OFP_VERSION;
    if (!ok) {
      const text = `we speak only OpenFlow 1.3 (0x04); peer offered ${hello.versions ? hello.versions.join(",") : `up to ${hello.version}`}`;
      this.send({
        type: "error",
        xid: hello.xid,
        errorType: ErrorType.HELLO_FAILED,
        code: HelloFailedCode.INCOMPATIBLE,
        data: new TextEncoder().encode(text),
      });
      this.close(`version negotiation failed: ${text}`);
      return;
    }
    void this.handshake();
  }

  private async handshake(): Promise<void> {
    try {
      const f = (await this.request(
        { type: "featuresRequest", xid: 0 },
        this.opts.handshakeTimeoutMs,
      )) as MessageOf<"featuresReply">;
      this.features = {
        datapathId: f.datapathId,
        nBuffers: f.nBuffers,
        nTables: f.nTables,
        auxiliaryId: f.auxiliaryId,
        capabilities: f.capabilities,
      };
      this.send({ type: "setConfig", xid: this.nextXid(), flags: 0, missSendLen: this.opts.missSendLen });
      for (const body of await this.multipart({ kind: "portDesc" })) {
        if (body.kind === "portDesc") for (const p of body.ports) this.ports.set(p.portNo, p);
      }
      if (this.state === "closed") return;
      clearTimeout(this.handshakeTimer);
      this.state = "ready";
      this.log.info("openflow switch ready", {
        peer: this.peer,
        datapathId: f.datapathId.toString(16),
        ports: this.ports.size,
      });
      for (const fn of this.listeners.ready) this.safely(fn);
    } catch (e) {
      this.close(`handshake failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private dispatch(msg: OpenFlowMessage, frame: Buffer): void {
    if (REPLY_TYPES.has(msg.type)) return this.onReply(msg);
    switch (msg.type) {
      case "echoRequest":
        this.send({ type: "echoReply", xid: msg.xid, data: Uint8Array.from(msg.data) });
        return;
      case "error": {
        this.requests.fail(msg.xid, new OpenFlowRequestError(msg.errorType, msg.code, msg.xid));
        this.log.warn("switch sent OFPT_ERROR", { peer: this.peer, xid: msg.xid, type: msg.errorType, code: msg.code });
        return this.emitMessage(msg);
      }
      case "portStatus":
        if (msg.reason === PortReason.DELETE) this.ports.delete(msg.port.portNo);
        else this.ports.set(msg.port.portNo, msg.port);
        this.emitMessage(msg);
        for (const fn of this.listeners.portsChanged) this.safely(() => fn(this.ports));
        return;
      case "packetIn":
      case "flowRemoved":
      case "experimenter":
        return this.emitMessage(msg);
      case "hello":
        this.log.warn("ignoring a second HELLO", { peer: this.peer });
        return;
      default:
        if (msg.type === "unsupported" || CONTROLLER_ONLY.has(msg.type)) {
          this.send({
            type: "error",
            xid: msg.xid,
            errorType: ErrorType.BAD_REQUEST,
            code: BadRequestCode.BAD_TYPE,
            data: Uint8Array.from(frame.subarray(0, 64)),
          });
        }
    }
  }

  private emitMessage(msg: AsyncMessage): void {
    for (const fn of this.listeners.message) this.safely(() => fn(msg));
  }

  private onReply(msg: OpenFlowMessage): void {
    const outcome = this.requests.settle(msg);
    if (outcome === "unsolicited") {
      this.log.info("reply without a pending request (late or unsolicited)", {
        peer: this.peer,
        type: msg.type,
        xid: msg.xid,
      });
    } else if (outcome === "tooManyParts") {
      this.close(`multipart reply xid ${msg.xid} exceeded ${MAX_MULTIPART_PARTS} parts`);
    }
  }
}
