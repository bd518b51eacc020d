import { flowKey, type FlowSpec } from "../flow.ts";
import { crossCloud } from "./intercloud.ts";
import { expectedPairFlows, type MappingView } from "./judge.ts";
import type { FabricEndpoint } from "./model.ts";
import { type ActivePair, dpidsOf, signatureOf } from "./pair-book.ts";

/** A known pair that lacks some of its flows, and its flow keys on the VEB read back (`${dpid}|${flowKey}`). */
export interface HalfPair {
  a: FabricEndpoint;
  b: FabricEndpoint;
  keysHere: string[];
}

/**
 * The known pairs left half (README "Cookies, revocation, recovery"): a VEB whose vswitchd
 * restarted comes back without its pair flows while its peers keep theirs, and a restarted TSC may
 * adopt a pair from one VEB whose peer came back empty. The sender's flow still matches and every
 * packet refreshes its idle timeout, so that direction stays a black hole no packet-in repairs. A
 * pair is half when, along one of its directions, a VEB holds none of that direction's flows while
 * another holds some, counting what VEB `dpid` (just read back) holds (`heldHere`: flows not judged
 * stale, `${dpid}|${flowKey}`) and, elsewhere, what the pair table records. Per VEB, not per flow:
 * a sender's service flows idle out one by one and that is no hole; a direction with none anywhere
 * (it idled out) is not half either, its next packet sets the pair up (records of such flows may
 * stay in the table: a revocation deletes by cookie anyway, while forgetting a record of a flow the
 * switch does hold would let it escape one). The caller sets a half pair up again whole (its flows recorded
 * once their barriers answer, as any setup), never a flow at a time. Looked at: pairs with an
 * endpoint or a flow on `dpid`, those across clouds when `dpid` is a gateway, and `also` (adopted
 * just now); skipped: a pair whose flows policy no longer implies (revocation's), and one with a
 * VEB not read back since this TSC started or not connected (that VEB's read-back decides).
 */
export function halfPairs(
  view: MappingView,
  pairs: readonly ActivePair[],
  dpid: bigint,
  heldHere: ReadonlySet<string>,
  also: ReadonlySet<ActivePair>,
  connected: (dpid: bigint) => boolean,
): HalfPair[] {
  const half: HalfPair[] = [];
  for (const p of pairs) {
    const a = view.inventory.endpoint(p.a);
    const b = view.inventory.endpoint(p.b);
    if (!a || !b || (!touches(view, p, a, b, dpid) && !also.has(p))) continue;
    const expected = expectedPairFlows(view, a, b, "held");
    if (!expected || signatureOf(expected) !== p.signature) continue;
    if ([...expected.keys()].some((v) => !view.recovered(v) || !connected(v))) continue;
    const flows = [...expected].flatMap(([v, fs]) =>
      fs.map((f) => ({ v, key: `${v}|${flowKey(f)}`, from: senderOf(view, v, f, a, b) })),
    );
    const held = (f: { v: bigint; key: string }) => (f.v === dpid ? heldHere : p.flows).has(f.key);
    const isHalf = [a.id, b.id].some((s) => {
      const way = flows.filter((f) => f.from === s || f.from === undefined);
      const vebs = new Set(way.map((f) => f.v));
      const holding = new Set(way.filter(held).map((f) => f.v));
      return holding.size > 0 && holding.size < vebs.size;
    });
    if (isHalf) half.push({ a, b, keysHere: flows.filter((f) => f.v === dpid).map((f) => f.key) });
  }
  return half;
}

/**
 * Which end of the pair sends the packets a flow on VEB `v` matches: its source address is that
 * end's (its own address on its port, its fabric address, a gateway lease of it). Undefined when
 * it cannot tell, and then the flow counts in both directions.
 */
function senderOf(view: MappingView, v: bigint, f: FlowSpec, a: FabricEndpoint, b: FabricEndpoint): string | undefined {
  const src = f.match.ipv4Src;
  for (const e of [a, b]) if (v === e.datapathId && f.match.inPort === e.port && src === e.ipv4) return e.id;
  const holder = src === undefined ? undefined : view.leaseHolder(src);
  return holder === a.id || holder === b.id ? holder : undefined;
}

/** Pair `p` (endpoints `a`, `b`) may have flows on `dpid`: an endpoint there, a flow there, or across clouds through a gateway there. */
function touches(view: MappingView, p: ActivePair, a: FabricEndpoint, b: FabricEndpoint, dpid: bigint): boolean {
  if (a.datapathId === dpid || b.datapathId === dpid || dpidsOf(p).includes(dpid)) return true;
  const ha = view.inventory.host(a.datapathId);
  const hb = view.inventory.host(b.datapathId);
  return view.inventory.host(dpid)?.gateway !== undefined && ha !== undefined && hb !== undefined && crossCloud(ha, hb);
}
