import { deleteStrictFlowMod, flowKey, type FlowSpec } from "../flow.ts";
import { cookieKind } from "../tables.ts";
import { expectedPairFlows, judgeFlow, type MappingView, pairOfFlow } from "./judge.ts";
import { type PairBook, pairKeyOf, signatureOf } from "./pair-book.ts";
import type { SwitchPort } from "./switch-port.ts";
import type { MappingOptions } from "./types.ts";

/**
 * The mapping flows a reconnecting VEB holds, judged at its resync (README "Cookies, revocation,
 * recovery"): a current one is re-adopted into the pair table, a stale one goes with the resync's
 * diff. One that cannot be judged then ("unknown": a host of the pair not read back yet, or, across
 * clouds while the TSC settles, a gateway of either cloud) is kept and waits here; every later
 * read-back judges the waiting ones again, and so does the end of settling: re-adopted once current
 * (so a revocation deletes it with the rest of its pair), deleted once stale (unless a setup has put
 * the same flow there since). A flow the VEB removed (idle timeout, deleted) stops waiting.
 */
export class PendingJudgements {
  private readonly flows = new Map<string, { dpid: bigint; flow: FlowSpec }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;
  private readonly settleMs: number;
  /** until when the TSC settles: `settleMs` after the mapping is attached to it (starts listening) */
  private settlesAt: number;

  constructor(
    private readonly view: MappingView,
    private readonly pairs: PairBook,
    private readonly switches: () => SwitchPort,
    o: Pick<MappingOptions, "clock" | "settleMs">,
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
    for (const f of installed) {
      if (cookieKind(f.cookie) !== "MAPPING") continue;
      const verdict = judgeFlow(this.view, f, dpid);
      if (verdict === "current") this.adopt(dpid, f);
      else if (verdict === "unknown") this.flows.set(`${dpid}|${flowKey(f)}`, { dpid, flow: f });
    }
    this.judgePending();
    if (this.flows.size > 0 && !this.timer && this.settling())
      this.timer = setTimeout(() => this.judgePending(), this.settlesAt - this.now() + 10).unref();
  }

  /** Judge every waiting flow again. */
  judgePending(): void {
    for (const [key, { dpid, flow }] of this.flows) {
      const verdict = judgeFlow(this.view, flow, dpid);
      // a setup of the same pair in flight may be installing this very flow: judge it after
      if (verdict === "unknown" || (verdict === "stale" && this.settingUp(dpid, flow))) continue;
      this.flows.delete(key);
      if (verdict === "current") this.adopt(dpid, flow);
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

  private adopt(dpid: bigint, f: FlowSpec): void {
    const pair = pairOfFlow(this.view, dpid, f);
    if (!pair || pair === "unknown") return;
    const expected = expectedPairFlows(this.view, pair.src, pair.dst, "held");
    this.pairs.adopt(pair.src.id, pair.dst.id, dpid, f, expected ? signatureOf(expected) : "");
  }
}
