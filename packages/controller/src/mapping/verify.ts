import { deleteStrictFlowMod, flowKey, FlowSpec } from "../flow.ts";
import { cookieKind } from "../tables.ts";
import type { SwitchPort } from "./switch-port.ts";

/** What one VEB holds compared with what policy implies, after repairing the difference. */
export interface VebRealization {
  /** pair flows read back from the VEB */
  pairFlows: number;
  /** flows policy does not imply (any more): deleted */
  stale: number;
  /** flows the TSC believed installed that the VEB did not hold (their pair, if left half, is set up again: a half pair is a black hole no packet-in repairs) */
  missing: number;
  details: string[];
}

const describe = (f: {
  match: { inPort?: number; ipv4Src?: string; ipv4Dst?: string; ipProto?: number; tcpDst?: number; udpDst?: number };
  tableId: number;
}): string => {
  const m = f.match;
  const l4 =
    m.ipProto === undefined
      ? ""
      : ` proto ${m.ipProto}${(m.tcpDst ?? m.udpDst) ? ` port ${m.tcpDst ?? m.udpDst}` : ""}`;
  return `table ${f.tableId} in_port ${m.inPort ?? "?"} ${m.ipv4Src ?? "*"} → ${m.ipv4Dst ?? "*"}${l4}`;
};

/** What the read-back needs of the mapping: its record of pair flows, and the judgement resync uses. */
export interface PairLedger {
  knownPairFlows(dpid: bigint): string[];
  judgeFlow(f: FlowSpec, dpid: bigint): "current" | "stale" | "unknown";
  /** sets up again the pairs this VEB serves that are left half, `held` being what it holds and keeps (`${dpid}|${flowKey}`) */
  restoreHalfPairs(dpid: bigint, held: ReadonlySet<string>): number;
}

/**
 * Reads a VEB's mapping flows back through the switch port and judges each against the policy as it is now
 * (the same judgement resync uses). Stale ones are deleted at once; flows the TSC thought installed
 * but the VEB lacks leave their pair half, and such a pair is set up again whole, as at a resync.
 * The TSC's own record is taken before the read, so a pair set up meanwhile is never mistaken for
 * missing.
 */
export async function verifyVeb(mapping: PairLedger, switches: SwitchPort, dpid: bigint): Promise<VebRealization> {
  const known = mapping.knownPairFlows(dpid);
  const installed = (await switches.readFlows(dpid)).filter((f) => cookieKind(f.cookie) === "MAPPING");
  const stale = installed.filter((f) => mapping.judgeFlow(f, dpid) === "stale");
  const held = new Set(installed.map((f) => `${dpid}|${flowKey(f)}`));
  // still known after the read (a pair revoked meanwhile is not "missing")
  const stillKnown = new Set(mapping.knownPairFlows(dpid));
  const missing = known.filter((k) => !held.has(k) && stillKnown.has(k));
  if (stale.length > 0) await switches.sendWithBarrier(dpid, stale.map(deleteStrictFlowMod));
  if (missing.length > 0) {
    // what the VEB keeps, and what was recorded after the read (set up meanwhile: not missing)
    const before = new Set(known);
    const since = mapping.knownPairFlows(dpid).filter((k) => !before.has(k));
    const kept = installed.filter((f) => !stale.includes(f)).map((f) => `${dpid}|${flowKey(f)}`);
    mapping.restoreHalfPairs(dpid, new Set([...kept, ...since]));
  }
  const details = [
    ...stale.slice(0, 20).map((f) => `stale, deleted: ${describe(f)}`),
    ...missing.slice(0, 20).map((k) => `missing on the VEB: ${k.slice(k.indexOf("|") + 1)}`),
  ];
  return { pairFlows: installed.length, stale: stale.length, missing: missing.length, details };
}
