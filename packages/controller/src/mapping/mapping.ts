import { EthType, flowMod, Match, MessageOf, NO_BUFFER, OpenFlowLogger, OpenFlowMessage, Port, silentLogger, SwitchSession } from "@nvi/openflow";
import type { VebApplied } from "@nvi/contracts";
import { ANY } from "@nvi/policy";
import type { ControllerApp } from "../app.ts";
import { addFlowMod, flowBody, flowKey, FlowSpec } from "../flow.ts";
import { COOKIE_KIND_TAG_MASK, COOKIE_OWNER_MASK, cookieKind, cookieTag, STAGES, taggedCookie } from "../tables.ts";
import type { Tsc } from "../tsc.ts";
import { bootstrapPipeline, denyFlow, hostPipeline, LeasedEndpoint, pairFlows, PairServices, pairTag, rateLimitFlow } from "./flows.ts";
import { FabricLeases, inBlock } from "./leases.ts";
import { FabricEndpoint, FabricHost, Inventory, PairPolicy, sameVpcPolicy, Verdict, vpcTag } from "./model.ts";
import { parseIpv4, withL4Checksum } from "./packet.ts";
import { PortRateLimiter } from "./rate-limit.ts";
import { LatencySamples } from "./samples.ts";

export interface MappingOptions {
  inventory: Inventory;
  policy?: PairPolicy;
  /** VPCs whose instances an endpoint of `vpcId` may be paired with (itself and its peerings; default: itself) */
  reachableVpcs?: (vpcId: string) => string[];
  /** seconds a pair flow lives without traffic (default 300; 0 = until revoked) */
  idleTimeout?: number;
  /** seconds a denied conversation is dropped without asking again (default 5) */
  denySeconds?: number;
  /** packet-ins accepted per instance port: sustained per second and burst (default 100 / 200) */
  packetInRate?: { perSecond: number; burst: number };
  /** seconds a port over its packet-in rate has its misses dropped (default 2) */
  rateLimitSeconds?: number;
  logger?: OpenFlowLogger;
}

export interface MappingStats {
  hosts: number;
  endpoints: number;
  leases: number;
  activePairs: number;
  pairFlows: number;
  packetIns: number;
  setups: number;
  denied: number;
  rateLimited: number;
  /** packet-in received → both VEBs acknowledged (barrier) → first packet released, in ms */
  setupMs: { count: number; p50: number; p99: number; max: number };
  /** the TSC's own share of it: packet-in received → every flow-mod written (lookup, policy, flows), in ms */
  decideMs: { count: number; p50: number; p99: number; max: number };
}

interface ActivePair {
  a: string;
  b: string;
  /** `${dpid}|${flowKey}` of every flow still installed for the pair */
  flows: Set<string>;
  /** the flows as installed (key + body, sorted): a policy change that alters them revokes the pair */
  signature: string;
}

const signatureOf = (perSwitch: Map<bigint, FlowSpec[]>): string =>
  [...perSwitch].flatMap(([dpid, flows]) => flows.map((f) => `${dpid}|${flowKey(f)}|${flowBody(f)}`)).sort().join("\n");

const pairKeyOf = (a: { id: string }, b: { id: string }): string => (a.id < b.id ? `${a.id}|${b.id}` : `${b.id}|${a.id}`);
const dpidsOf = (p: ActivePair): bigint[] => [...new Set([...p.flows].map((fk) => BigInt(fk.slice(0, fk.indexOf("|")))))];
/** Delete a pair's flows by its cookie, in the tables pair flows live in. */
const revokeMods = (tag: number): OpenFlowMessage[] =>
  [STAGES.FORWARD.table, STAGES.REPLY.table].map((tableId) => flowMod({ command: "delete", tableId, cookie: taggedCookie("MAPPING", tag), cookieMask: COOKIE_KIND_TAG_MASK, match: {} }));
/** Lift the short drops these VPCs' instances got (all drops, rate-limit ones included, when none are named), optionally only towards one address. */
const denyLiftMods = (vpcs: readonly string[] | undefined, match: Match = {}): OpenFlowMessage[] =>
  vpcs === undefined
    ? [flowMod({ command: "delete", tableId: STAGES.FORWARD.table, cookie: taggedCookie("DENY", 0), cookieMask: COOKIE_OWNER_MASK | (0xffn << 40n), match })]
    : vpcs.map((v) => flowMod({ command: "delete", tableId: STAGES.FORWARD.table, cookie: taggedCookie("DENY", vpcTag(v)), cookieMask: COOKIE_KIND_TAG_MASK, match }));

/**
 * The NVI mapping: per-instance fabric addresses leased from each host's routed block, stateless
 * rewrite flows per allowed pair installed on the first packet (both VEBs, barrier, then release),
 * revocation by cookie, recovery from the switches. Plug it into the TSC with `tscOptions()`.
 */
export class NviMapping {
  readonly inventory: Inventory;
  private readonly policy: PairPolicy;
  private readonly leases = new FabricLeases();
  private readonly recovered = new Set<bigint>();
  private readonly pairs = new Map<string, ActivePair>();
  private readonly flowIndex = new Map<string, string>();
  private readonly pending = new Map<string, Promise<boolean>>();
  private readonly limiter: PortRateLimiter;
  private readonly samples = new LatencySamples(10_000);
  private readonly decideSamples = new LatencySamples(10_000);
  private readonly log: OpenFlowLogger;
  private tsc: Tsc | undefined;
  /** bumped by every policy change: a pair set up across one is checked again before it is kept */
  private policyEpoch = 0;
  private counters = { packetIns: 0, setups: 0, denied: 0, rateLimited: 0 };

  constructor(private readonly options: MappingOptions) {
    this.inventory = options.inventory;
    this.policy = options.policy ?? sameVpcPolicy;
    this.log = options.logger ?? silentLogger;
    const rate = options.packetInRate ?? { perSecond: 100, burst: 200 };
    this.limiter = new PortRateLimiter(rate.perSecond, rate.burst);
  }

  /** Spread into `startTsc({...mapping.tscOptions(), host, port})`, then call `attach(tsc)`. */
  tscOptions(): { desiredFlows: (dpid: bigint) => FlowSpec[]; beforeSync: (dpid: bigint, installed: readonly FlowSpec[]) => void; keepFlow: (f: FlowSpec, dpid: bigint) => boolean; app: ControllerApp } {
    return {
      desiredFlows: (dpid) => this.desiredFlows(dpid),
      beforeSync: (dpid, installed) => this.recover(dpid, installed),
      keepFlow: (f, dpid) => this.keepFlow(f, dpid),
      app: {
        onPacketIn: (sw, m) => this.onPacketIn(sw, m),
        onFlowRemoved: (sw, m) => this.onFlowRemoved(sw, m),
      },
    };
  }

  attach(tsc: Tsc): void {
    this.tsc = tsc;
  }

  /** The fabric address leased to an endpoint (allocated when its host is known). */
  fabricAddressOf(endpointId: string): string | undefined {
    return this.leases.get(endpointId);
  }

  // ---- desired state and recovery ------------------------------------------------------------

  /**
   * The endpoint with its fabric address. A lease is only allocated once the endpoint's VEB has
   * been read back since this TSC started: before that, the switch may hold one we must adopt.
   */
  private leased(e: FabricEndpoint): LeasedEndpoint | undefined {
    const have = this.leases.get(e.id);
    if (have) return { ...e, fabricIp: have };
    const host = this.inventory.host(e.datapathId);
    if (!host || !this.recovered.has(e.datapathId)) return undefined;
    return { ...e, fabricIp: this.leases.lease(e.id, host.instanceBlock) };
  }

  desiredFlows(dpid: bigint): FlowSpec[] {
    const host = this.inventory.host(dpid);
    if (!host) return bootstrapPipeline();
    const local = this.inventory.endpointsOn(dpid).flatMap((e) => this.leased(e) ?? []);
    const arpTargets = (e: FabricEndpoint): string[] => [e.gateway, ...this.inventory.endpointsInVpc(e.vpcId).map((p) => p.ipv4)];
    return hostPipeline(host, local, arpTargets);
  }

  /** Re-adopt what a (re)connecting switch holds: its leases, and the pairs its mapping flows serve. */
  private recover(dpid: bigint, installed: readonly FlowSpec[]): void {
    for (const f of installed) {
      if (cookieKind(f.cookie) !== "LEASE" || f.match.ipv4Dst === undefined) continue;
      const e = this.inventory.endpointAt(dpid, cookieTag(f.cookie));
      if (e && !this.leases.recover(e.id, f.match.ipv4Dst)) this.log.warn("lease on switch conflicts with a known one; reallocating", { endpoint: e.id, address: f.match.ipv4Dst });
    }
    this.recovered.add(dpid);
    for (const f of installed) if (cookieKind(f.cookie) === "MAPPING" && this.keepFlow(f, dpid)) this.trackRecovered(dpid, f);
  }

  private trackRecovered(dpid: bigint, f: FlowSpec): void {
    const pair = this.pairOfFlow(dpid, f);
    if (!pair || pair === "unknown") return;
    const key = pairKeyOf(pair.src, pair.dst);
    const expected = this.expectedPairFlows(pair.src, pair.dst);
    const p = this.pairs.get(key) ?? { a: pair.src.id, b: pair.dst.id, flows: new Set<string>(), signature: expected ? signatureOf(expected) : "" };
    p.flows.add(`${dpid}|${flowKey(f)}`);
    this.pairs.set(key, p);
    this.flowIndex.set(`${dpid}|${flowKey(f)}`, key);
  }

  /** Which pair a mapping flow serves: the endpoints, "unknown" while a lease's host is not recovered yet, undefined if none. */
  private pairOfFlow(dpid: bigint, f: FlowSpec): { src: FabricEndpoint; dst: FabricEndpoint } | "unknown" | undefined {
    const host = this.inventory.host(dpid);
    const m = f.match;
    if (!host || m.ipv4Src === undefined || m.ipv4Dst === undefined || m.inPort === undefined) return undefined;
    if (m.inPort !== host.fabricPort) {
      const src = this.inventory.endpointAt(dpid, m.inPort);
      const dst = src && src.ipv4 === m.ipv4Src ? this.peerOf(src, m.ipv4Dst) : undefined;
      if (!src || !dst) return undefined;
      return this.leased(dst) || dst.datapathId === dpid ? { src, dst } : "unknown";
    }
    const byFabric = (address: string): FabricEndpoint | "unknown" | undefined => {
      const owner = this.inventory.hosts().find((h) => inBlock(h.instanceBlock, address));
      if (!owner) return undefined;
      const holder = this.leases.holder(address);
      if (holder === undefined) return this.recovered.has(owner.datapathId) ? undefined : "unknown";
      return this.inventory.endpoint(holder);
    };
    const src = byFabric(m.ipv4Src);
    const dst = byFabric(m.ipv4Dst);
    if (src === "unknown" || dst === "unknown") return "unknown";
    return src && dst ? { src, dst } : undefined;
  }

  /** Resync keeps a mapping flow only while it is exactly what the pair would get now (or cannot be judged yet). */
  private keepFlow(f: FlowSpec, dpid: bigint): boolean {
    const kind = cookieKind(f.cookie);
    if (kind === "DENY") return true;
    if (kind !== "MAPPING") return false;
    return this.judgeFlow(f, dpid) !== "stale";
  }

  /** A mapping flow read back from a VEB: exactly what policy implies now, not (stale), or not judgeable yet (a host not read back). */
  judgeFlow(f: FlowSpec, dpid: bigint): "current" | "stale" | "unknown" {
    const pair = this.pairOfFlow(dpid, f);
    if (pair === "unknown") return "unknown";
    if (!pair) return "stale";
    const expected = this.expectedPairFlows(pair.src, pair.dst)?.get(dpid) ?? [];
    return expected.some((x) => flowKey(x) === flowKey(f) && flowBody(x) === flowBody(f)) ? "current" : "stale";
  }

  /** The endpoint holding `ipv4` in `src`'s VPC or a VPC peered with it. */
  private peerOf(src: FabricEndpoint, ipv4: string): FabricEndpoint | undefined {
    for (const vpc of this.options.reachableVpcs?.(src.vpcId) ?? [src.vpcId]) {
      const e = this.inventory.endpointInVpc(vpc, ipv4);
      if (e) return e;
    }
    return undefined;
  }

  /** The endpoint is still bound where it was (not unplugged or moved while its pair was being set up). */
  private stillPlugged(e: FabricEndpoint): boolean {
    const now = this.inventory.endpoint(e.id);
    return now !== undefined && now.datapathId === e.datapathId && now.port === e.port && now.ipv4 === e.ipv4 && now.vpcId === e.vpcId;
  }

  /** What each side may open towards the other; undefined when neither may open anything. */
  private servicesOf(a: FabricEndpoint, b: FabricEndpoint): PairServices | undefined {
    const sv = (v: Verdict) => (v.allowed ? (v.services ?? [...ANY]) : []);
    const s = { ab: sv(this.policy(a, b)), ba: sv(this.policy(b, a)) };
    return s.ab.length === 0 && s.ba.length === 0 ? undefined : s;
  }

  private expectedPairFlows(a: FabricEndpoint, b: FabricEndpoint): Map<bigint, FlowSpec[]> | undefined {
    const ha = this.inventory.host(a.datapathId);
    const hb = this.inventory.host(b.datapathId);
    const la = this.leased(a);
    const lb = this.leased(b);
    const services = this.servicesOf(a, b);
    if (!ha || !hb || !la || !lb || !services) return undefined;
    return pairFlows({ endpoint: la, host: ha }, { endpoint: lb, host: hb }, { idleTimeout: this.options.idleTimeout ?? 300 }, services);
  }

  // ---- reactive setup ------------------------------------------------------------------------

  private async onPacketIn(sw: SwitchSession, m: MessageOf<"packetIn">): Promise<void> {
    const t0 = performance.now();
    this.counters.packetIns++;
    const dpid = sw.datapathId ?? 0n;
    const inPort = m.match.inPort;
    if (m.tableId !== STAGES.FORWARD.table || inPort === undefined) return;
    if (!this.limiter.take(`${dpid}/${inPort}`, Date.now())) {
      this.counters.rateLimited++;
      if (this.limiter.shouldBlock(`${dpid}/${inPort}`, Date.now())) sw.send(addFlowMod(rateLimitFlow(inPort, this.options.rateLimitSeconds ?? 2)));
      return;
    }
    const pkt = parseIpv4(m.data);
    const src = this.inventory.endpointAt(dpid, inPort);
    if (!pkt || !src || src.ipv4 !== pkt.src) return;
    const dst = this.peerOf(src, pkt.dst);
    // a pair is set up when either side may open something: what src may not send drops on its VEB
    if (!dst || !this.servicesOf(src, dst)) {
      this.counters.denied++;
      sw.send(addFlowMod(denyFlow(src, pkt.dst, this.options.denySeconds ?? 5)));
      this.log.info("conversation denied", { src: src.id, dst: pkt.dst, reason: dst ? this.policy(src, dst).reason : `no instance ${pkt.dst} in ${src.vpcId} or a peered VPC` });
      return;
    }
    if (!(await this.setupPair(src, dst, t0))) return;
    sw.send({ type: "packetOut", xid: 0, bufferId: NO_BUFFER, inPort, actions: [{ type: "output", port: Port.TABLE }], data: withL4Checksum(m.data) });
    this.samples.add(performance.now() - t0);
  }

  /** Install both directions on every VEB involved, wait for their barriers; one setup per pair at a time. */
  setupPair(a: FabricEndpoint, b: FabricEndpoint, startedAt?: number): Promise<boolean> {
    const key = pairKeyOf(a, b);
    const running = this.pending.get(key);
    if (running) return running;
    const p = this.installPair(a, b, startedAt).finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  private async installPair(a: FabricEndpoint, b: FabricEndpoint, startedAt?: number): Promise<boolean> {
    const epoch = this.policyEpoch;
    const perSwitch = this.expectedPairFlows(a, b);
    if (!perSwitch) return false;
    const sessions = [...perSwitch.keys()].map((dpid) => this.tsc?.switches.get(dpid));
    if (sessions.some((s) => s === undefined)) {
      this.log.warn("pair not set up: a VEB is not connected", { a: a.id, b: b.id });
      return false;
    }
    const acks = [...perSwitch].map(([dpid, flows]) => this.tsc?.switches.get(dpid)?.sendWithBarrier(flows.map(addFlowMod)) ?? Promise.resolve([]));
    if (startedAt !== undefined) this.decideSamples.add(performance.now() - startedAt);
    const results = await Promise.all(acks);
    const errors = results.flat();
    if (errors.length > 0) {
      this.log.warn("pair flows rejected", { a: a.id, b: b.id, errors: errors.length });
      return false;
    }
    const key = pairKeyOf(a, b);
    if (epoch !== this.policyEpoch || !this.stillPlugged(a) || !this.stillPlugged(b)) {
      // the policy or an endpoint changed while the flows were on their way: take them back, the next packet decides again
      await this.revokePairs([{ a: a.id, b: b.id, dpids: [...perSwitch.keys()] }]);
      return false;
    }
    const pair: ActivePair = { a: a.id, b: b.id, flows: new Set<string>(), signature: signatureOf(perSwitch) };
    for (const [dpid, flows] of perSwitch) {
      for (const f of flows) {
        const fk = `${dpid}|${flowKey(f)}`;
        pair.flows.add(fk);
        this.flowIndex.set(fk, key);
      }
    }
    this.pairs.set(key, pair);
    this.counters.setups++;
    return true;
  }

  private onFlowRemoved(sw: SwitchSession, m: MessageOf<"flowRemoved">): void {
    if (cookieKind(m.cookie) !== "MAPPING") return;
    const fk = `${sw.datapathId ?? 0n}|${flowKey(m)}`;
    const key = this.flowIndex.get(fk);
    if (key === undefined) return;
    this.flowIndex.delete(fk);
    const pair = this.pairs.get(key);
    pair?.flows.delete(fk);
    if (pair && pair.flows.size === 0) this.pairs.delete(key);
  }

  // ---- plug, unplug, revoke ------------------------------------------------------------------

  /** Bind an instance port; its VEB and its VPC peers' VEBs are brought in sync (port security, ARP, lease). */
  async plug(e: FabricEndpoint): Promise<string | undefined> {
    const before = this.inventory.endpoint(e.id);
    if (before && (before.datapathId !== e.datapathId || before.port !== e.port || before.ipv4 !== e.ipv4 || before.vpcId !== e.vpcId)) await this.unplug(e.id);
    this.inventory.plug(e);
    if (!before) await this.liftDenials(e);
    const lease = this.leased(e)?.fabricIp;
    await this.syncHosts([e.datapathId, ...this.inventory.endpointsInVpc(e.vpcId).map((p) => p.datapathId)]);
    return lease;
  }

  /** Unbind an instance: every flow to or from it is deleted by cookie on every VEB, then its lease is freed. */
  async unplug(endpointId: string): Promise<void> {
    const e = this.inventory.unplug(endpointId);
    if (!e) return;
    const fabricIp = this.leases.get(e.id);
    const mine = [...this.pairs.values()].filter((p) => p.a === e.id || p.b === e.id);
    await Promise.all([this.revokePairs(mine.map((p) => ({ a: p.a, b: p.b, dpids: dpidsOf(p) }))), this.sweep(e, fabricIp)]);
    this.leases.release(e.id);
    await this.syncHosts([e.datapathId, ...this.inventory.endpointsInVpc(e.vpcId).map((p) => p.datapathId)]);
  }

  /**
   * A peer that tried an address while nobody held it (an instance stopped or not yet launched)
   * holds a short drop flow for it; once an instance holds the address those drops are deleted, so
   * its first packet reaches the TSC at once instead of after the deny window. (Another tenant's
   * drop for the same private address is lifted too: its next packet is simply judged again.)
   */
  private async liftDenials(e: FabricEndpoint): Promise<void> {
    const mods = denyLiftMods(this.options.reachableVpcs?.(e.vpcId) ?? [e.vpcId], { ethType: EthType.IPV4, ipv4Dst: e.ipv4 });
    await Promise.all([...(this.tsc?.switches.values() ?? [])].map((sw) => sw.sendWithBarrier(mods)));
  }

  /** Deletes, by the pair's cookie, every flow of these pairs on the VEBs they touch (both directions), then forgets them. */
  private async revokePairs(pairs: { a: string; b: string; dpids: bigint[] }[]): Promise<void> {
    const perSwitch = new Map<bigint, OpenFlowMessage[]>();
    for (const p of pairs) for (const dpid of new Set(p.dpids)) perSwitch.set(dpid, [...(perSwitch.get(dpid) ?? []), ...revokeMods(pairTag(p.a, p.b))]);
    for (const p of pairs) this.forgetPair(pairKeyOf({ id: p.a }, { id: p.b }));
    await Promise.all([...perSwitch].map(([dpid, mods]) => this.tsc?.switches.get(dpid)?.sendWithBarrier(mods) ?? Promise.resolve([])));
  }

  private forgetPair(key: string): void {
    const pair = this.pairs.get(key);
    if (!pair) return;
    for (const fk of pair.flows) this.flowIndex.delete(fk);
    this.pairs.delete(key);
  }

  /**
   * Whatever the pair table missed (a setup still in flight): mapping flows to or from the
   * endpoint's fabric address on every VEB, and those entering from its port on its own VEB.
   */
  private async sweep(e: FabricEndpoint, fabricIp: string | undefined): Promise<void> {
    const kindOnly = { cookie: taggedCookie("MAPPING", 0), cookieMask: COOKIE_OWNER_MASK | (0xffn << 40n) };
    const everywhere = fabricIp ? (["ipv4Src", "ipv4Dst"] as const).map((field) => flowMod({ command: "delete", tableId: STAGES.FORWARD.table, ...kindOnly, match: { ethType: EthType.IPV4, [field]: fabricIp } })) : [];
    const own = [STAGES.FORWARD.table, STAGES.REPLY.table].map((tableId) => flowMod({ command: "delete", tableId, ...kindOnly, match: { inPort: e.port } }));
    await Promise.all([...(this.tsc?.switches ?? [])].map(([dpid, sw]) => sw.sendWithBarrier(dpid === e.datapathId ? [...everywhere, ...own] : everywhere)));
  }

  /**
   * After a policy change: every known pair whose flows policy now shapes differently (or denies)
   * is revoked by cookie on its VEBs, and short drops of the given VPCs are lifted everywhere so a
   * newly allowed pair's next packet is judged at once. Each connected VEB answers with a barrier;
   * the answer says when each confirmed (`hostIdOf` names each VEB's host, null where none is known).
   * Pairs still allowed as they are keep flowing untouched.
   */
  async applyPolicy(o: { liftDenyVpcs?: readonly string[]; hostIdOf?: (datapathId: bigint) => string | null } = {}): Promise<VebApplied[]> {
    this.policyEpoch++;
    const t0 = performance.now();
    const revoke: { a: string; b: string; dpids: bigint[] }[] = [];
    for (const pair of this.pairs.values()) {
      const a = this.inventory.endpoint(pair.a);
      const b = this.inventory.endpoint(pair.b);
      const expected = a && b ? this.expectedPairFlows(a, b) : undefined;
      if (!expected || signatureOf(expected) !== pair.signature) revoke.push({ a: pair.a, b: pair.b, dpids: dpidsOf(pair) });
    }
    const perSwitch = new Map<bigint, { mods: OpenFlowMessage[]; revoked: number }>();
    for (const dpid of this.tsc?.switches.keys() ?? []) perSwitch.set(dpid, { mods: denyLiftMods(o.liftDenyVpcs), revoked: 0 });
    for (const p of revoke) {
      for (const dpid of new Set(p.dpids)) {
        const entry = perSwitch.get(dpid);
        if (!entry) continue;
        entry.mods.push(...revokeMods(pairTag(p.a, p.b)));
        entry.revoked++;
      }
      this.forgetPair(pairKeyOf({ id: p.a }, { id: p.b }));
    }
    return Promise.all(
      [...perSwitch].map(async ([dpid, { mods, revoked }]): Promise<VebApplied> => {
        const veb = { hostId: o.hostIdOf?.(dpid) ?? null, hostName: this.inventory.host(dpid)?.name ?? dpid.toString(16), revokedPairs: revoked };
        try {
          const errors = (await this.tsc?.switches.get(dpid)?.sendWithBarrier(mods)) ?? [];
          return { ...veb, confirmedMs: performance.now() - t0, error: errors.length > 0 ? `${errors.length} flow-mod(s) refused` : null };
        } catch (e) {
          return { ...veb, confirmedMs: performance.now() - t0, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
  }

  /** The flows the TSC believes a VEB holds for its pairs (`${dpid}|${flowKey}`), and forgetting some (drift repair). */
  knownPairFlows(dpid: bigint): string[] {
    return [...this.flowIndex.keys()].filter((k) => k.startsWith(`${dpid}|`));
  }

  forgetPairOfFlow(fk: string): void {
    const key = this.flowIndex.get(fk);
    if (key !== undefined) this.forgetPair(key);
  }

  private async syncHosts(dpids: bigint[]): Promise<void> {
    const tsc = this.tsc;
    if (!tsc) return;
    await Promise.all([...new Set(dpids)].filter((d) => tsc.switches.has(d)).map((d) => tsc.sync(d)));
  }

  /** Register or update a host; its VEB is re-synced if connected. */
  async upsertHost(h: FabricHost): Promise<void> {
    this.inventory.upsertHost(h);
    await this.syncHosts([h.datapathId]);
  }

  stats(): MappingStats {
    let pairFlows = 0;
    for (const p of this.pairs.values()) pairFlows += p.flows.size;
    return {
      hosts: this.inventory.hosts().length,
      endpoints: this.inventory.endpoints().length,
      leases: this.leases.size,
      activePairs: this.pairs.size,
      pairFlows,
      ...this.counters,
      setupMs: this.samples.summary(),
      decideMs: this.decideSamples.summary(),
    };
  }
}
