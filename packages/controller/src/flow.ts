import {
  flowMod,
  FlowMod,
  FlowStats,
  Instruction,
  Match,
  MeterFlags,
  MeterModCommand,
  type MessageOf,
} from "@nvi/openflow";

/** One flow as the controller thinks of it (what it wants installed, or what it read back). */
export interface FlowSpec {
  tableId: number;
  priority: number;
  match: Match;
  instructions: Instruction[];
  cookie: bigint;
  idleTimeout?: number;
  hardTimeout?: number;
  flags?: number;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v.toString(16)}n`;
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    return v;
  });
}

/** Identity of a flow in OpenFlow: table + priority + match (what delete_strict addresses). */
export function flowKey(f: Pick<FlowSpec, "tableId" | "priority" | "match">): string {
  return `${f.tableId}/${f.priority}/${canonical(f.match)}`;
}

/** Everything a switch would report back for the flow, used to tell "same" from "changed". */
export function flowBody(f: FlowSpec): string {
  return canonical({ i: f.instructions, c: f.cookie, it: f.idleTimeout ?? 0, ht: f.hardTimeout ?? 0 });
}

export function addFlowMod(f: FlowSpec): FlowMod {
  return flowMod({
    command: "add",
    tableId: f.tableId,
    priority: f.priority,
    match: f.match,
    instructions: f.instructions,
    cookie: f.cookie,
    idleTimeout: f.idleTimeout ?? 0,
    hardTimeout: f.hardTimeout ?? 0,
    flags: f.flags ?? 0,
  });
}

export function deleteStrictFlowMod(f: Pick<FlowSpec, "tableId" | "priority" | "match">): FlowMod {
  return flowMod({ command: "deleteStrict", tableId: f.tableId, priority: f.priority, match: f.match });
}

/** A packets-per-second meter the desired state needs on a switch (flows name it by id). */
export interface MeterSpec {
  meterId: number;
  /** packets per second, sustained */
  perSecond: number;
  /** packets at once */
  burst: number;
}

/** ADD then MODIFY: whatever the switch held under that id, it now holds this (ADD's "exists" error is expected). */
export function meterMods(m: MeterSpec): MessageOf<"meterMod">[] {
  const base = {
    type: "meterMod" as const,
    xid: 0,
    flags: MeterFlags.PKTPS | MeterFlags.BURST | MeterFlags.STATS,
    meterId: m.meterId,
    bands: [{ type: "drop" as const, rate: m.perSecond, burstSize: m.burst }],
  };
  return [
    { ...base, command: MeterModCommand.ADD },
    { ...base, command: MeterModCommand.MODIFY },
  ];
}

export function fromFlowStats(s: FlowStats): FlowSpec {
  const f: FlowSpec = {
    tableId: s.tableId,
    priority: s.priority,
    match: s.match,
    instructions: s.instructions,
    cookie: s.cookie,
  };
  if (s.idleTimeout) f.idleTimeout = s.idleTimeout;
  if (s.hardTimeout) f.hardTimeout = s.hardTimeout;
  if (s.flags) f.flags = s.flags;
  return f;
}
