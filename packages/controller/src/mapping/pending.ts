import type { OpenFlowLogger } from "@nvi/openflow";
import { deleteStrictFlowMod, flowKey, type FlowSpec } from "../flow.ts";
import { cookieKind } from "../tables.ts";
import { expectedPairFlows, judgeFlow, type MappingView, pairOfFlow } from "./judge.ts";
import { halfPairs } from "./half-pairs.ts";
import type { FabricEndpoint } from "./model.ts";
import { type ActivePair, type PairBook, pairKeyOf, signatureOf } from "./pair-book.ts";
import type { SwitchPort } from "./switch-port.ts";
import type { MappingOptions } from "./types.ts";
import { type VebRealization, verifyVeb } from "./verify.ts";

/**
 * The mapping flows a reconnecting VEB holds, judged at its resync (README "Cookies, revocation,
 * recovery"): a current one is re-adopted into the pair table, a stale one goes with the resync's
 * diff. One that cannot be judged then ("unknown": a host of the pair not read back yet, or, across
 * clouds while the TSC settles, a gateway of either cloud) is kept and waits here; every later
 * read-back judges the waiting ones again, and so does the end of settling: re-adopted once current
 * (so a revocation deletes it with the rest of its pair), deleted once stale (unless a setup has put
 * the same flow there since). A flow the VEB removed (idle timeout, deleted) stops waiting.
 * Then the pairs this VEB serves that are left half (`halfPairs`: a VEB lost some of their flows)
 * are set up again whole, counted in `restored`.
 */
/** No datapath has this id (OpenFlow's are unsigned): "no VEB was read back", the pair table is all there is. */
const NO_VEB = -1n;

export class PendingJudgements {
  private readonly flows = new Map<string, { dpid: bigint; flow: FlowSpec }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;
  private readonly settleMs: number;
  /** until when the TSC settles: `settleMs` after the mapping is attached to it (starts listening) */
  private settlesAt: number;
  /** pairs left half by a VEB that lost flows, set up again (setups that succeeded) */
  restored = 0;
  /** per VEB, the keys of flows its resync keeps because a setup replaces them */
  private readonly keeping = new Map<bigint, Set<string>>();

  constructor(
    private readonly view: MappingView,
    private readonly pairs: PairBook,
    private readonly switches: () => SwitchPort,
    o: Pick<MappingOptions, "clock" | "settleMs">,
    private readonly log: OpenFlowLogger,
    private readonly setup: (a: FabricEndpoint, b: FabricEndpoint) => Promise<boolean>,
  ) {
    this.now = o.clock ?? Date.now;
    this.settleMs = o.settleMs ?? 15_000;
    this.settlesAt = this.now() + this.settleMs;
  }

  /** The switches can connect from now on: settling lasts `settleMs` from here. */
  startSettling(): void {
    this.settlesAt = this.now() + this.settleMs;
  }

  /** VEBs are still reconnecting after the TSC started (a pair across clouds waits for its clouds' gateways). */
  settling(): boolean {
    return this.now() < this.settlesAt;
  }

  /** A VEB's flows read back at its resync (its leases already re-adopted). */
  recover(dpid: bigint, installed: readonly FlowSpec[]): void {
    // what this VEB held before (a reconnection): its read-back now is what counts
    for (const [key, p] of this.flows) if (p.dpid === dpid) this.flows.delete(key);
    const adopted = new Set<ActivePair>();
    const here = new Set<string>();
    for (const f of installed) {
      if (cookieKind(f.cookie) !== "MAPPING") continue;
      const verdict = judgeFlow(this.view, f, dpid);
      if (verdict !== "stale") here.add(`${dpid}|${flowKey(f)}`);
      if (verdict === "current") this.adopt(dpid, f, adopted);
      else if (verdict === "unknown") this.flows.set(`${dpid}|${flowKey(f)}`, { dpid, flow: f });
    }
    this.judgePending(adopted);
    this.restoreHalfPairs(dpid, here, adopted);
    if (this.flows.size > 0 && !this.timer && this.settling())
      this.timer = setTimeout(() => this.settled(), this.settlesAt - this.now() + 10).unref();
  }

  /** Settling ended: what still waits is judged, and the pairs it adopts are made whole (no VEB is read back now). */
  settled(): void {
    const adopted = new Set<ActivePair>();
    this.judgePending(adopted);
    this.restoreHalfPairs(NO_VEB, new Set(), adopted);
  }

  /** Judge every waiting flow again (the pairs it adopts are added to `adopted`). */
  judgePending(adopted = new Set<ActivePair>()): void {
    for (const [key, { dpid, flow }] of this.flows) {
      const verdict = judgeFlow(this.view, flow, dpid);
      // a setup of the same pair in flight may be installing this very flow: judge it after
      if (verdict === "unknown" || (verdict === "stale" && this.settingUp(dpid, flow))) continue;
      this.flows.delete(key);
      if (verdict === "current") this.adopt(dpid, flow, adopted);
      else if (!this.pairs.holds(dpid, flow)) this.switches().send(dpid, deleteStrictFlowMod(flow));
    }
  }

  removed(dpid: bigint, f: Pick<FlowSpec, "tableId" | "priority" | "match">): void {
    this.flows.delete(`${dpid}|${flowKey(f)}`);
  }

  private settingUp(dpid: bigint, f: FlowSpec): boolean {
    const pair = pairOfFlow(this.view, dpid, f);
    return pair !== undefined && pair !== "unknown" && this.pairs.settingUp(pairKeyOf(pair.src, pair.dst));
  }

  private adopt(dpid: bigint, f: FlowSpec, adopted: Set<ActivePair>): void {
    const pair = pairOfFlow(this.view, dpid, f);
    if (!pair || pair === "unknown") return;
    const expected = expectedPairFlows(this.view, pair.src, pair.dst, "held");
    adopted.add(this.pairs.adopt(pair.src.id, pair.dst.id, dpid, f, expected ? signatureOf(expected) : ""));
  }

  /**
   * Sets up again, whole, the pairs left half that VEB `dpid` serves (`halfPairs`; it holds `here`,
   * its flows not judged stale). Until the next read-back of `dpid`, its resync keeps (does not
   * delete) a flow under the key of one of those pairs' flows: the setup's ADD replaces it, where a
   * delete sent after that ADD would take the new flow away. Answers how many pairs.
   */
  restoreHalfPairs(dpid: bigint, here: ReadonlySet<string>, adopted: ReadonlySet<ActivePair> = new Set()): number {
    const switches = this.switches();
    const half = halfPairs(this.view, this.pairs.all(), dpid, here, adopted, (d) => switches.has(d));
    this.keeping.set(dpid, new Set(half.flatMap((h) => h.keysHere)));
    for (const { a, b } of half)
      void this.setup(a, b)
        .then((done) => void (done && this.restored++))
        .catch(() => undefined);
    if (half.length > 0)
      this.log.info("pairs left half, set up again", { datapathId: dpid.toString(16), pairs: half.length });
    return half.length;
  }

  /** The drift read-back of one VEB (`verifyVeb`): stale flows deleted, pairs left half set up again. */
  verify(dpid: bigint): Promise<VebRealization> {
    const ledger = {
      knownPairFlows: (d: bigint) => this.pairs.knownFlows(d),
      judgeFlow: (f: FlowSpec, d: bigint) => judgeFlow(this.view, f, d),
      restoreHalfPairs: (d: bigint, held: ReadonlySet<string>) => this.restoreHalfPairs(d, held),
    };
    return verifyVeb(ledger, this.switches(), dpid);
  }

  /** The resync of `dpid` keeps this flow: a pair being set up again replaces it (see `restoreHalfPairs`). */
  keeps(dpid: bigint, f: FlowSpec): boolean {
    return this.keeping.get(dpid)?.has(`${dpid}|${flowKey(f)}`) ?? false;
  }
}
