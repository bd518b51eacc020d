import net from "node:net";
import tls from "node:tls";
import { decodeMessage, encodeMessage } from "../codec/codec.ts";
import type { FlowStats, OpenFlowMessage, PortDesc } from "../codec/messages.ts";
import { Framer } from "../session/framer.ts";

/** A scripted switch for unit tests of the session (integration tests use the real Open vSwitch). */
export class FakeSwitch {
  readonly received: OpenFlowMessage[] = [];
  readonly socket: net.Socket;
  private readonly framer = new Framer();
  private waiters: { pred: (m: OpenFlowMessage) => boolean; resolve: (m: OpenFlowMessage) => void }[] = [];
  closed: Promise<void>;
  /** Answer the handshake automatically (features, port-desc, barrier, echo). */
  autoReply = true;
  datapathId = 0xabcn;
  ports: PortDesc[] = [];
  /** A naive flow table: ADD / DELETE_STRICT by table + priority + match, answered in flow stats. */
  flows: FlowStats[] = [];

  /** `tls`: dial with this client certificate (and trust this CA), as Open vSwitch with `set-ssl` does. */
  constructor(
    port: number,
    options: { host?: string; tls?: { key: string | Buffer; cert: string | Buffer; ca: string | Buffer } } = {},
  ) {
    const host = options.host ?? "127.0.0.1";
    this.socket = options.tls
      ? tls.connect({ port, host, ...options.tls, checkServerIdentity: () => undefined })
      : net.connect(port, host);
    this.closed = new Promise((resolve) => this.socket.on("close", () => resolve()));
    this.socket.on("error", () => undefined);
    this.socket.on("data", (chunk) =>
      this.framer.push(chunk, (frame) => {
        const m = decodeMessage(frame);
        if (this.autoReply && this.reply(m)) return;
        this.received.push(m);
        this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
      }),
    );
  }

  send(m: OpenFlowMessage): void {
    this.socket.write(encodeMessage(m));
  }
  raw(hex: string): void {
    this.socket.write(Buffer.from(hex, "hex"));
  }

  next<T extends OpenFlowMessage["type"]>(type: T): Promise<Extract<OpenFlowMessage, { type: T }>> {
    const seen = this.received.find((m) => m.type === type);
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen as Extract<OpenFlowMessage, { type: T }>);
    }
    return new Promise((resolve) =>
      this.waiters.push({
        pred: (m) => m.type === type,
        resolve: (m) => {
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m as Extract<OpenFlowMessage, { type: T }>);
        },
      }),
    );
  }

  /** True when the message was answered (and so is not recorded). */
  private reply(m: OpenFlowMessage): boolean {
    switch (m.type) {
      case "featuresRequest":
        this.send({
          type: "featuresReply",
          xid: m.xid,
          datapathId: this.datapathId,
          nBuffers: 0,
          nTables: 254,
          auxiliaryId: 0,
          capabilities: 0x4f,
        });
        return true;
      case "multipartRequest":
        if (m.body.kind === "portDesc")
          this.send({ type: "multipartReply", xid: m.xid, flags: 0, body: { kind: "portDesc", ports: this.ports } });
        else if (m.body.kind === "flowStats")
          this.send({ type: "multipartReply", xid: m.xid, flags: 0, body: { kind: "flowStats", flows: this.flows } });
        else return false;
        return true;
      case "flowMod": {
        const key = (f: { tableId: number; priority: number; match: unknown }): string =>
          `${f.tableId}/${f.priority}/${JSON.stringify(f.match, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`;
        this.flows = this.flows.filter((f) => key(f) !== key(m));
        if (m.command === "add") {
          const { cookie, tableId, priority, idleTimeout, hardTimeout, flags, match, instructions } = m;
          this.flows.push({
            cookie,
            tableId,
            priority,
            idleTimeout,
            hardTimeout,
            flags,
            match,
            instructions,
            durationSec: 0,
            durationNsec: 0,
            packetCount: 0n,
            byteCount: 0n,
          });
        }
        return false;
      }
      case "barrierRequest":
        this.send({ type: "barrierReply", xid: m.xid });
        return true;
      case "echoRequest":
        this.send({ type: "echoReply", xid: m.xid, data: m.data });
        return true;
      case "roleRequest":
        this.send({ type: "roleReply", xid: m.xid, role: m.role, generationId: m.generationId });
        return true;
      default:
        return false;
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

export function port(portNo: number, name: string): PortDesc {
  return {
    portNo,
    hwAddr: "02:00:00:00:00:0" + String(portNo % 10),
    name,
    config: 0,
    state: 4,
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  };
}
