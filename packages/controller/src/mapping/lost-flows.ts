import { flowKey, type FlowSpec } from "../flow.ts";
import { crossCloud } from "./intercloud.ts";
import { expectedPairFlows, type MappingView } from "./judge.ts";
import type { FabricEndpoint } from "./model.ts";
import { type ActivePair, signatureOf } from "./pair-book.ts";

/** One flow a known pair should hold on a VEB and does not. */
export interface LostFlow {
  a: string;
  b: string;
  dpid: bigint;
  flow: FlowSpec;
  /** the pair's flows as policy implies them now (its signature in the pair table) */
  signature: string;
}

/**
 * The flows of known pairs that VEB `dpid` (just read back, holding `heldHere`: `${dpid}|${flowKey}`)
 * or another VEB of theirs should hold and does not (README "Cookies, revocation, recovery"). A VEB
 * whose vswitchd restarted comes back without its pair flows while its peers keep theirs, and a
 * restarted TSC may adopt a pair from one VEB whose peer came back empty: either way one direction
 * is a black hole that no packet-in repairs (the sender's flow still matches, and every packet
 * refreshes its idle timeout). Lost on `dpid` are the flows the pair table believes it holds and it
 * does not (a direction that idled out on all its VEBs is not lost: its next packet sets the pair
 * up again); on a VEB where the table believes the pair holds nothing (a restarted TSC adopted it
 * elsewhere), every flow the pair should have there. The pairs looked
 * at are those with an endpoint or a flow on `dpid`, those across clouds when `dpid` is a gateway,
 * and `also` (pairs adopted just now); a pair whose flows policy no longer implies is left to
 * revocation. Only VEBs read back since this TSC started and connected now are named.
 */
export function lostPairFlows(
  view: MappingView,
  pairs: readonly ActivePair[],
  dpid: bigint,
  heldHere: ReadonlySet<string>,
  also: ReadonlySet<ActivePair>,
  connected: (dpid: bigint) => boolean,
): LostFlow[] {
  const lost: LostFlow[] = [];
  for (const p of pairs) {
    const a = view.inventory.endpoint(p.a);
    const b = view.inventory.endpoint(p.b);
    if (!a || !b || (!touches(view, p, a, b, dpid) && !also.has(p))) continue;
    const expected = expectedPairFlows(view, a, b, "held");
    if (!expected) continue;
    const signature = signatureOf(expected);
    if (signature !== p.signature) continue;
    for (const [v, flows] of expected) {
      if (!view.recovered(v) || !connected(v)) continue;
      const keyed = flows.map((flow) => ({ flow, key: `${v}|${flowKey(flow)}` }));
      const known = keyed.filter((f) => p.flows.has(f.key));
      // the table's record where it has one (on another VEB it is all there is to go by), else everything
      const want = known.length > 0 ? (v === dpid ? known : []) : keyed;
      const holds = v === dpid ? heldHere : p.flows;
      for (const { flow, key } of want) if (!holds.has(key)) lost.push({ a: p.a, b: p.b, dpid: v, flow, signature });
    }
  }
  return lost;
}

/** Pair `p` (endpoints `a`, `b`) may have flows on `dpid`: an endpoint there, a flow there, or across clouds through a gateway there. */
function touches(view: MappingView, p: ActivePair, a: FabricEndpoint, b: FabricEndpoint, dpid: bigint): boolean {
  if (a.datapathId === dpid || b.datapathId === dpid) return true;
  const prefix = `${dpid}|`;
  if ([...p.flows].some((k) => k.startsWith(prefix))) return true;
  const ha = view.inventory.host(a.datapathId);
  const hb = view.inventory.host(b.datapathId);
  return view.inventory.host(dpid)?.gateway !== undefined && ha !== undefined && hb !== undefined && crossCloud(ha, hb);
}
