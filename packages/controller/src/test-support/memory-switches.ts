import { MessageOf, NO_BUFFER, OpenFlowMessage, Port } from "@nvi/openflow";
import { diffToFlowMods, resyncDiff, ResyncHooks } from "../diff.ts";
import type { SettleOutcome } from "../datapath-settle.ts";
import type { FlowSpec } from "../flow.ts";
import { FlowTable, Packet, TraceResult } from "../flow-table.ts";
import type { SwitchPort } from "../mapping/switch-port.ts";
import { frameOf, packetOf } from "./frames.ts";

/** Where the in-memory switches hand what reaches the controller (the mapping's `packetIn`). */
export type PacketInHandler = (datapathId: bigint, message: MessageOf<"packetIn">) => void | Promise<void>;

/**
 * VEBs as in-memory flow tables behind the mapping's `SwitchPort`: flow-mods apply at once,
 * barriers answer at once, a resync is the TSC's own `resyncDiff`, a table-miss to CONTROLLER
 * becomes a packet-in handed to `onPacketIn`, and a released packet-out runs through the table
 * (kept in `released`). So a test drives the whole mapping: "a packet from A's port with these
 * headers leaves on the fabric port rewritten like this".
 */
export class MemorySwitches implements SwitchPort {
  readonly tables = new Map<bigint, FlowTable>();
  /** Packet-outs to TABLE, as they went through the pipeline. */
  readonly released: { datapathId: bigint; trace: TraceResult }[] = [];
  /** Flow-mods each switch received, in order (what a test may count). */
  readonly received: { datapathId: bigint; message: OpenFlowMessage }[] = [];

  constructor(
    private readonly hooks: ResyncHooks,
    private readonly onPacketIn: PacketInHandler,
  ) {}

  /** A switch connects (a new one, or one whose table survived a TSC restart): first resync, as the TSC does. */
  async connect(datapathId: bigint, table = this.tables.get(datapathId) ?? new FlowTable()): Promise<FlowTable> {
    this.tables.set(datapathId, table);
    await this.sync(datapathId);
    return table;
  }

  /** A switch goes (its vswitchd killed, its link cut): the TSC no longer reaches it; its table is answered (to reconnect it with). */
  disconnect(datapathId: bigint): FlowTable {
    const table = this.table(datapathId);
    this.tables.delete(datapathId);
    return table;
  }

  table(datapathId: bigint): FlowTable {
    const t = this.tables.get(datapathId);
    if (!t) throw new Error(`switch ${datapathId.toString(16)} is not connected`);
    return t;
  }

  /**
   * A packet enters a switch on `packet.inPort`: where it goes. What the pipeline sends to the
   * controller is handed over as a packet-in and awaited (setup, release) before this returns.
   */
  async inject(datapathId: bigint, packet: Packet): Promise<TraceResult> {
    const trace = this.table(datapathId).process(packet);
    const tableId = trace.path.at(-1)?.tableId ?? 0;
    for (const p of trace.toController) {
      const data = frameOf(p);
      await this.onPacketIn(datapathId, {
        type: "packetIn",
        xid: 0,
        bufferId: NO_BUFFER,
        totalLen: data.byteLength,
        reason: 0,
        tableId,
        cookie: 0n,
        match: { inPort: packet.inPort ?? 0 },
        data,
      });
    }
    return trace;
  }

  connected(): bigint[] {
    return [...this.tables.keys()];
  }

  has(datapathId: bigint): boolean {
    return this.tables.has(datapathId);
  }

  sendWithBarrier(datapathId: bigint, messages: OpenFlowMessage[]): Promise<MessageOf<"error">[]> {
    for (const m of messages) this.send(datapathId, m);
    return Promise.resolve([]);
  }

  send(datapathId: bigint, message: OpenFlowMessage): void {
    const table = this.tables.get(datapathId);
    if (!table) return;
    this.received.push({ datapathId, message });
    if (message.type === "flowMod") table.apply(message);
    else if (
      message.type === "packetOut" &&
      message.actions.some((a) => a.type === "output" && a.port === Port.TABLE)
    ) {
      const packet = packetOf(message.data, message.inPort);
      if (packet) this.released.push({ datapathId, trace: table.process(packet) });
    }
  }

  readFlows(datapathId: bigint): Promise<FlowSpec[]> {
    const table = this.tables.get(datapathId);
    return table
      ? Promise.resolve(table.flows())
      : Promise.reject(new Error(`switch ${datapathId.toString(16)} is not connected`));
  }

  /** An in-memory table caches nothing: what the table says is what forwards, at once. */
  settle(datapathId: bigint): Promise<SettleOutcome> {
    return Promise.resolve(
      this.tables.has(datapathId)
        ? { settled: true, ms: 0 }
        : { settled: false, ms: 0, reason: "the switch is not connected", agent: false },
    );
  }

  sync(datapathId: bigint): Promise<unknown> {
    const table = this.tables.get(datapathId);
    if (!table) return Promise.reject(new Error(`switch ${datapathId.toString(16)} is not connected`));
    for (const m of diffToFlowMods(resyncDiff(datapathId, table.flows(), this.hooks))) table.apply(m);
    return Promise.resolve();
  }
}
