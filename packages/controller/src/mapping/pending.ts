import type { OpenFlowLogger } from "@nvi/openflow";
import { addFlowMod, deleteStrictFlowMod, flowKey, type FlowSpec } from "../flow.ts";
import { cookieKind } from "../tables.ts";
import { expectedPairFlows, judgeFlow, type MappingView, pairOfFlow } from "./judge.ts";
import { type LostFlow, lostPairFlows } from "./lost-flows.ts";
import { type ActivePair, type PairBook, pairKeyOf, signatureOf } from "./pair-book.ts";
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
 * Then the pairs this VEB serves are made whole again: what they should hold here or on another
 * VEB read back, and do not (`lostPairFlows`), is installed again and counted in `restored`.
 */
export class PendingJudgements {
  private readonly flows = new Map<string, { dpid: bigint; flow: FlowSpec }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;
  private readonly settleMs: number;
  /** until when the TSC settles: `settleMs` after the mapping is attached to it (starts listening) */
  private settlesAt: number;
  /** pair flows a VEB had lost, installed again */
  restored = 0;

  constructor(
    private readonly view: MappingView,
    private readonly pairs: PairBook,
    private readonly switches: () => SwitchPort,
    o: Pick<MappingOptions, "clock" | "settleMs">,
    private readonly log: OpenFlowLogger,
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
      here.add(`${dpid}|${flowKey(f)}`);
      const verdict = judgeFlow(this.view, f, dpid);
      if (verdict === "current") this.adopt(dpid, f, adopted);
      else if (verdict === "unknown") this.flows.set(`${dpid}|${flowKey(f)}`, { dpid, flow: f });
    }
    this.judgePending(adopted);
    this.restoreLost(dpid, here, adopted);
    if (this.flows.size > 0 && !this.timer && this.settling())
      this.timer = setTimeout(() => this.judgePending(), this.settlesAt - this.now() + 10).unref();
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
   * Installs again what the pairs VEB `dpid` serves lack there (it holds `here`) or on another VEB
   * read back; the pair table keeps them. Answers how many flows.
   */
  restoreLost(dpid: bigint, here: ReadonlySet<string>, adopted: ReadonlySet<ActivePair> = new Set()): number {
    const switches = this.switches();
    const lost = lostPairFlows(this.view, this.pairs.all(), dpid, here, adopted, (d) => switches.has(d));
    const byVeb = new Map<bigint, LostFlow[]>();
    for (const l of lost) {
      byVeb.set(l.dpid, [...(byVeb.get(l.dpid) ?? []), l]);
      this.pairs.adopt(l.a, l.b, l.dpid, l.flow, l.signature);
    }
    for (const [veb, flows] of byVeb) {
      const fields = { datapathId: veb.toString(16), flows: flows.length, readBack: dpid.toString(16) };
      this.log.info("pair flows a VEB lacked, installed again", fields);
      void switches
        .sendWithBarrier(
          veb,
          flows.map((l) => addFlowMod(l.flow)),
        )
        .then(
          (errors) => errors.length > 0 && this.log.warn("pair flows rejected", { ...fields, errors: errors.length }),
        )
        .catch(() => undefined); // the VEB went meanwhile: its next read-back decides
    }
    this.restored += lost.length;
    return lost.length;
  }
}
