import { flowBody, flowKey, FlowSpec } from "../flow.ts";

/** A pair the TSC set up (or re-adopted from a switch) and the flows it believes installed for it. */
export interface ActivePair {
  a: string;
  b: string;
  /** `${dpid}|${flowKey}` of every flow still installed for the pair */
  flows: Set<string>;
  /** the flows as installed (key + body, sorted): a policy change that alters them revokes the pair */
  signature: string;
}

/** A pair's identity, whichever side asked first. */
export const pairKeyOf = (a: { id: string }, b: { id: string }): string =>
  a.id < b.id ? `${a.id}|${b.id}` : `${b.id}|${a.id}`;

/** The flows of a pair per VEB, as one comparable string. */
export const signatureOf = (perSwitch: Map<bigint, FlowSpec[]>): string =>
  [...perSwitch]
    .flatMap(([dpid, flows]) => flows.map((f) => `${dpid}|${flowKey(f)}|${flowBody(f)}`))
    .sort()
    .join("\n");

/** The VEBs a pair's flows live on. */
export const dpidsOf = (p: ActivePair): bigint[] => [
  ...new Set([...p.flows].map((fk) => BigInt(fk.slice(0, fk.indexOf("|"))))),
];

const flowId = (dpid: bigint, f: Pick<FlowSpec, "tableId" | "priority" | "match">): string => `${dpid}|${flowKey(f)}`;

/**
 * The TSC's table of active pairs: which flows each pair holds on which VEB (and the reverse
 * index, so a FLOW_REMOVED finds its pair), plus the setups in flight. Plain bookkeeping: it
 * neither decides nor talks to a switch.
 */
export class PairBook {
  private readonly pairs = new Map<string, ActivePair>();
  private readonly flowIndex = new Map<string, string>();
  private readonly pending = new Map<string, Promise<boolean>>();

  /** One setup per pair at a time: a second first packet of the pair shares the running one. */
  once(key: string, setup: () => Promise<boolean>): Promise<boolean> {
    const running = this.pending.get(key);
    if (running) return running;
    const p = setup().finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  /** A pair just set up: every flow it installed, per VEB. */
  record(a: string, b: string, perSwitch: Map<bigint, FlowSpec[]>, signature: string): void {
    const key = pairKeyOf({ id: a }, { id: b });
    const pair: ActivePair = { a, b, flows: new Set<string>(), signature };
    for (const [dpid, flows] of perSwitch) {
      for (const f of flows) {
        const fk = flowId(dpid, f);
        pair.flows.add(fk);
        this.flowIndex.set(fk, key);
      }
    }
    this.pairs.set(key, pair);
  }

  /** A flow of pair (a, b) read back from a switch (recovery); the pair gets `signature` if it is new. */
  adopt(a: string, b: string, dpid: bigint, f: FlowSpec, signature: string): ActivePair {
    const key = pairKeyOf({ id: a }, { id: b });
    const p = this.pairs.get(key) ?? { a, b, flows: new Set<string>(), signature };
    p.flows.add(flowId(dpid, f));
    this.pairs.set(key, p);
    this.flowIndex.set(flowId(dpid, f), key);
    return p;
  }

  /** A setup of this pair is in flight. */
  settingUp(key: string): boolean {
    return this.pending.has(key);
  }

  /** Some pair holds this flow (same table, priority and match) on this VEB. */
  holds(dpid: bigint, f: Pick<FlowSpec, "tableId" | "priority" | "match">): boolean {
    return this.flowIndex.has(flowId(dpid, f));
  }

  /** A switch removed a flow (idle timeout): the pair is gone once it has no flow left. */
  flowRemoved(dpid: bigint, f: Pick<FlowSpec, "tableId" | "priority" | "match">): void {
    const fk = flowId(dpid, f);
    const key = this.flowIndex.get(fk);
    if (key === undefined) return;
    this.flowIndex.delete(fk);
    const pair = this.pairs.get(key);
    pair?.flows.delete(fk);
    if (pair && pair.flows.size === 0) this.pairs.delete(key);
  }

  forget(a: string, b: string): void {
    this.forgetKey(pairKeyOf({ id: a }, { id: b }));
  }

  private forgetKey(key: string): void {
    const pair = this.pairs.get(key);
    if (!pair) return;
    for (const fk of pair.flows) this.flowIndex.delete(fk);
    this.pairs.delete(key);
  }

  /** The flows the TSC believes a VEB holds for its pairs (`${dpid}|${flowKey}`). */
  knownFlows(dpid: bigint): string[] {
    return [...this.flowIndex.keys()].filter((k) => k.startsWith(`${dpid}|`));
  }

  all(): ActivePair[] {
    return [...this.pairs.values()];
  }

  involving(endpointId: string): ActivePair[] {
    return this.all().filter((p) => p.a === endpointId || p.b === endpointId);
  }

  get size(): number {
    return this.pairs.size;
  }

  get flowCount(): number {
    let n = 0;
    for (const p of this.pairs.values()) n += p.flows.size;
    return n;
  }
}

/** The known pairs with an endpoint of one of these tenants (every pair when none are named; a pair whose endpoint is gone counts). */
export function pairsOfTenants(
  book: PairBook,
  endpoints: { endpoint(id: string): { tenantId: string } | undefined },
  orgIds: readonly string[] | undefined,
): ActivePair[] {
  if (orgIds === undefined) return book.all();
  const orgs = new Set(orgIds);
  const touched = (id: string) => {
    const e = endpoints.endpoint(id);
    return e === undefined || orgs.has(e.tenantId);
  };
  return book.all().filter((p) => touched(p.a) || touched(p.b));
}

/** What revoking these pairs deletes: each pair on the VEBs its flows live on. */
export const revocationsOf = (pairs: readonly ActivePair[]): { a: string; b: string; dpids: bigint[] }[] =>
  pairs.map((p) => ({ a: p.a, b: p.b, dpids: dpidsOf(p) }));
