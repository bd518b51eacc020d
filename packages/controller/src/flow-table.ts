import {
  Action,
  FlowMod,
  ipv4ToNumber,
  ipv6ToBytes,
  macToBytes,
  Match,
  MATCH_FIELDS,
  Port,
  VLAN_PRESENT,
} from "@nvi/openflow";
import { flowKey, FlowSpec, fromFlowStats } from "./flow.ts";

/**
 * Concrete header values of one packet (the Match shape without masks). `vlanVid` is the outermost
 * tag as OpenFlow 1.3 sees it (OFPVID_PRESENT | VID; absent or 0 = untagged); `ethType` the one
 * after the tags.
 */
export type Packet = Omit<Match, `${string}Mask` | "extra">;

export interface TraceResult {
  /** Packets that left, in order, with the headers as rewritten at the moment of output. */
  outputs: { port: number; packet: Packet }[];
  /** Packets sent to the controller (packet-in). */
  toController: Packet[];
  /** Tables and priorities of the flows that matched, in pipeline order. */
  path: { tableId: number; priority: number }[];
}

const MAX_STEPS = 64;

function bits(kind: string, v: unknown): bigint {
  switch (kind) {
    case "u64":
      return v as bigint;
    case "mac":
      return BigInt(`0x${Buffer.from(macToBytes(String(v))).toString("hex")}`);
    case "ipv4":
      return BigInt(ipv4ToNumber(String(v)));
    case "ipv6":
      return BigInt(`0x${Buffer.from(ipv6ToBytes(String(v))).toString("hex")}`);
    default:
      return BigInt(v as number);
  }
}

/** True when every field of `m` (under its mask) equals the packet's field. */
export function matches(m: Match, p: Packet): boolean {
  const rec = m as Record<string, unknown>;
  const pkt = p as Record<string, unknown>;
  for (const def of MATCH_FIELDS) {
    const want = rec[def.name];
    if (want === undefined) continue;
    // an untagged frame's VLAN_VID is OFPVID_NONE (0): a packet without `vlanVid` is untagged
    const have = def.name === "vlanVid" ? (pkt[def.name] ?? 0) : pkt[def.name];
    if (have === undefined) return false;
    const mask = def.mask ? rec[def.mask] : undefined;
    const mb = mask === undefined ? -1n : bits(def.kind, mask);
    if ((bits(def.kind, want) & mb) !== (bits(def.kind, have) & mb)) return false;
  }
  return true;
}

/**
 * An in-memory OpenFlow 1.3 pipeline for unit tests: apply flow-mods, then ask where a packet
 * goes. Models tables with goto, priorities, masked matches, apply/write/clear actions,
 * write-metadata, set_field, push/pop VLAN and output (IN_PORT and CONTROLLER included).
 */
export class FlowTable {
  private readonly tables = new Map<number, Map<string, FlowSpec>>();

  apply(mod: FlowMod): void {
    const table = (id: number): Map<string, FlowSpec> => {
      let t = this.tables.get(id);
      if (!t) this.tables.set(id, (t = new Map<string, FlowSpec>()));
      return t;
    };
    const inScope = (f: FlowSpec): boolean =>
      (mod.tableId === 0xff || f.tableId === mod.tableId) &&
      (f.cookie & mod.cookieMask) === (mod.cookie & mod.cookieMask);
    const strictKey = flowKey(mod);
    const selected = (f: FlowSpec): boolean => {
      if (!inScope(f)) return false;
      if (mod.command === "modifyStrict" || mod.command === "deleteStrict") return flowKey(f) === strictKey;
      return isSubsumed(f.match, mod.match);
    };
    switch (mod.command) {
      case "add": {
        const spec: FlowSpec = {
          tableId: mod.tableId,
          priority: mod.priority,
          match: mod.match,
          instructions: mod.instructions,
          cookie: mod.cookie,
        };
        if (mod.idleTimeout) spec.idleTimeout = mod.idleTimeout;
        if (mod.hardTimeout) spec.hardTimeout = mod.hardTimeout;
        if (mod.flags) spec.flags = mod.flags;
        table(mod.tableId).set(strictKey, spec);
        return;
      }
      case "modify":
      case "modifyStrict":
        for (const t of this.tables.values())
          for (const f of t.values()) if (selected(f)) f.instructions = mod.instructions;
        return;
      case "delete":
      case "deleteStrict":
        for (const t of this.tables.values()) for (const [k, f] of t) if (selected(f)) t.delete(k);
        return;
    }
  }

  /** Install flows directly (as the switch would have them after ADDs). */
  load(flows: readonly FlowSpec[]): void {
    for (const f of flows)
      this.tables.set(f.tableId, (this.tables.get(f.tableId) ?? new Map<string, FlowSpec>()).set(flowKey(f), { ...f }));
  }

  flows(): FlowSpec[] {
    return [...this.tables.values()]
      .flatMap((t) => [...t.values()])
      .map((f) =>
        fromFlowStats({
          ...f,
          durationSec: 0,
          durationNsec: 0,
          idleTimeout: f.idleTimeout ?? 0,
          hardTimeout: f.hardTimeout ?? 0,
          flags: f.flags ?? 0,
          packetCount: 0n,
          byteCount: 0n,
        }),
      );
  }

  private lookup(tableId: number, p: Packet): FlowSpec | undefined {
    let best: FlowSpec | undefined;
    for (const f of this.tables.get(tableId)?.values() ?? [])
      if (matches(f.match, p) && (!best || f.priority > best.priority)) best = f;
    return best;
  }

  /** Run one packet entering on `packet.inPort` through the pipeline, starting at table 0. */
  process(packet: Packet): TraceResult {
    const result: TraceResult = { outputs: [], toController: [], path: [] };
    let p: Packet = { ...packet };
    const actionSet = new Map<string, Action>();
    let tableId: number | undefined = 0;
    for (let step = 0; tableId !== undefined && step < MAX_STEPS; step++) {
      const flow = this.lookup(tableId, p);
      if (!flow) return result; // OpenFlow 1.3 table-miss without a flow: drop
      result.path.push({ tableId, priority: flow.priority });
      let next: number | undefined;
      for (const ins of flow.instructions) {
        if (ins.type === "applyActions") for (const a of ins.actions) p = this.execute(a, p, result);
        else if (ins.type === "clearActions") actionSet.clear();
        else if (ins.type === "writeActions")
          for (const a of ins.actions) actionSet.set(a.type === "setField" ? `setField:${a.field}` : a.type, a);
        else if (ins.type === "writeMetadata")
          p = { ...p, metadata: ((p.metadata ?? 0n) & ~ins.mask) | (ins.metadata & ins.mask) };
        else if (ins.type === "gotoTable") {
          if (ins.tableId <= tableId)
            throw new Error(`goto_table ${ins.tableId} from table ${tableId} must go forward`);
          next = ins.tableId;
        }
      }
      tableId = next;
    }
    const ordered = [...actionSet.values()].sort(
      (a, b) => (a.type === "output" ? 1 : 0) - (b.type === "output" ? 1 : 0),
    );
    for (const a of ordered) p = this.execute(a, p, result);
    return result;
  }

  private execute(a: Action, p: Packet, out: TraceResult): Packet {
    switch (a.type) {
      case "setField":
        return { ...p, [a.field]: a.value };
      case "pushVlan":
        return { ...p, vlanVid: VLAN_PRESENT };
      case "popVlan": {
        const { vlanVid: _dropped, ...rest } = p;
        return rest;
      }
      case "output":
        if (a.port === Port.CONTROLLER) out.toController.push({ ...p });
        // as in OVS: a packet is never sent back out of the port it came in by, unless by IN_PORT
        else if (a.port === p.inPort) return p;
        else out.outputs.push({ port: a.port === Port.IN_PORT ? (p.inPort ?? 0) : a.port, packet: { ...p } });
        return p;
      default:
        return p;
    }
  }
}

/** Non-strict flow-mod selection: every field the mod matches on must be matched identically by the flow. */
function isSubsumed(flow: Match, by: Match): boolean {
  const f = flow as Record<string, unknown>;
  return Object.entries(by as Record<string, unknown>).every(
    ([k, v]) =>
      k === "extra" ||
      JSON.stringify(f[k], (_x, y: unknown) => (typeof y === "bigint" ? y.toString() : y)) ===
        JSON.stringify(v, (_x, y: unknown) => (typeof y === "bigint" ? y.toString() : y)),
  );
}
