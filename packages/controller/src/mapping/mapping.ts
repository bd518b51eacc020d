import type { VebApplied } from "@nvi/contracts";
import { confirmVeb } from "./confirm.ts";
import { MessageOf, NO_BUFFER, OpenFlowLogger, Port, silentLogger } from "@nvi/openflow";
import { addFlowMod, FlowSpec, type MeterSpec } from "../flow.ts";
import { cookieKind, STAGES } from "../tables.ts";
import type { Tsc } from "../tsc.ts";
import { FabricAddresses } from "./addresses.ts";
import { FairQueue } from "./fair-queue.ts";
import { gatewayPipeline } from "./intercloud.ts";
import { bootstrapPipeline, hostPipeline, portMeters, rateLimitFlow } from "./flows.ts";
import {
  changedPairs,
  expectedPairFlows,
  judgeConversation,
  judgeFlow,
  keepOnResync,
  MappingView,
  stillPlugged,
} from "./judge.ts";
import { FabricEndpoint, FabricHost, Inventory, sameVpcPolicy } from "./model.ts";
import { withL4Checksum } from "./packet.ts";
import { PendingJudgements } from "./pending.ts";
import { PairBook, pairKeyOf, pairsOfTenants, revocationsOf, signatureOf } from "./pair-book.ts";
import { GatewayWatch, moveGatewayPairs, type MoveActs } from "./gateway-moves.ts";
import type { TunnelReport } from "./tunnel-health.ts";
import { DEFAULT_PORT_LIMITS, PortGuard, type PortHeld, type PortLimits } from "./rate-limit.ts";
import {
  arrivalLiftMods,
  denyLiftMods,
  policyChangeMods,
  Revocation,
  revocationMods,
  sweepMods,
  touchedVebs,
} from "./revoke.ts";
import { RecentDenials } from "./recent-denials.ts";
import { LatencySamples } from "./samples.ts";
import { NO_SWITCHES, SwitchPort, tscPort } from "./switch-port.ts";
import type { MappingOptions, MappingStats, MappingTscOptions, WaitingPacketIn } from "./types.ts";
import type { VebRealization } from "./verify.ts";

/**
 * The NVI mapping: per-instance fabric addresses leased from each host's routed block, stateless
 * rewrite flows per allowed pair installed on the first packet (both VEBs, barrier, then release),
 * revocation by cookie, recovery from the switches. Plug it into the TSC with `tscOptions()` and
 * `attach(tsc)`. It decides through `judge.ts`, builds flows with `flows.ts` / `revoke.ts`, keeps
 * its pairs in a `PairBook`, and sends to switches only through its `SwitchPort`.
 */
export class NviMapping {
  readonly inventory: Inventory;
  private readonly view: MappingView;
  private readonly addresses: FabricAddresses;
  private readonly pairs = new PairBook();
  private readonly guard: PortGuard;
  /** denied pairs within their drop: a change that allows one sets it up at once (`applyPolicy`) */
  private readonly denials = new RecentDenials();
  /**
   * gateways whose fabric or tunnel port is down, or whose tunnel is cut (their VEB still connected);
   * a change moves their pairs at most once a second (a flapping VEB or link cannot busy the TSC)
   */
  private readonly gateways: GatewayWatch;
  private readonly waiting = new FairQueue<WaitingPacketIn>((p) => this.judgePacketIn(p));
  private readonly limits: PortLimits;
  private readonly samples = new LatencySamples(10_000);
  private readonly decideSamples = new LatencySamples(10_000);
  private readonly log: OpenFlowLogger;
  private switches: SwitchPort = NO_SWITCHES;
  /** bumped by every policy change (and direct-link change): a pair set up across one is checked again before it is kept */
  private policyEpoch = 0;
  /** flows read back at a resync that could not be judged then (a host, or a gateway, not read back yet) */
  readonly recovery: PendingJudgements;
  private counters = { packetIns: 0, setups: 0, denied: 0, rateLimited: 0, blocks: 0 };
  /** what moving pairs between paths does (after a gateway change or a direct link set) */
  private readonly moves: MoveActs;

  constructor(private readonly options: MappingOptions) {
    this.inventory = options.inventory;
    this.log = options.logger ?? silentLogger;
    this.addresses = new FabricAddresses(this.inventory, this.log);
    const move = (dpid: bigint) => void this.gatewayChanged(dpid);
    this.gateways = new GatewayWatch(this.inventory, move, this.log, options.gatewayMoveHoldMs);
    this.limits = {
      ...DEFAULT_PORT_LIMITS,
      ...options.packetInRate,
      ...(options.rateLimitSeconds === undefined ? {} : { blockSeconds: options.rateLimitSeconds }),
      ...(options.maxDenyFlowsPerPort === undefined ? {} : { maxDenyFlows: options.maxDenyFlowsPerPort }),
    };
    this.guard = new PortGuard(this.limits);
    this.view = {
      inventory: this.inventory,
      policy: options.policy ?? sameVpcPolicy,
      idleTimeout: options.idleTimeout ?? 300,
      reachableVpcs: (vpcId) => options.reachableVpcs?.(vpcId) ?? [vpcId],
      leased: (e) => this.addresses.leased(e),
      leaseHolder: (address) => this.addresses.holder(address),
      gatewayLease: (endpointId, gw) => this.addresses.gatewayLease(endpointId, gw),
      gatewayLeaseHeld: (endpointId, gw) => this.addresses.gatewayLeaseHeld(endpointId, gw.datapathId),
      recovered: (dpid) => this.addresses.isRecovered(dpid),
      settling: () => this.recovery.settling(),
      gatewayUp: (dpid) => this.switches.has(dpid) && !this.gateways.isDown(dpid),
      linkUp: (a, b) => this.gateways.linkUp(a, b),
    };
    const setup = (a: FabricEndpoint, b: FabricEndpoint) => this.setupPair(a, b);
    this.moves = { revoke: (r) => this.revokePairs(r), setup, log: this.log };
    this.recovery = new PendingJudgements(this.view, this.pairs, () => this.switches, options, this.log, setup);
  }

  /** Spread into `startTsc({...mapping.tscOptions(), host, port})`, then call `attach(tsc)`. */
  tscOptions(): MappingTscOptions {
    return {
      desiredFlows: (dpid) => this.desiredFlows(dpid),
      desiredMeters: (dpid) => this.desiredMeters(dpid),
      // re-adopt what a (re)connecting switch holds: its leases, then the pairs its mapping flows serve
      beforeSync: (dpid, installed) => this.recovery.recover(dpid, this.addresses.adopt(dpid, installed)),
      keepFlow: (f, dpid) => keepOnResync(this.view, f, dpid) || this.recovery.keeps(dpid, f),
      app: {
        onPacketIn: (sw, m) => this.packetIn(sw.datapathId ?? 0n, m),
        onFlowRemoved: (sw, m) => this.flowRemoved(sw.datapathId ?? 0n, m),
        onSwitchReady: (sw) => this.gateways.connected(sw.datapathId ?? 0n, sw.ports),
        onSwitchGone: (dpid) => void this.gatewayChanged(dpid, { gone: true }),
        onPortStatus: (sw, m) => this.gateways.portStatus(sw.datapathId ?? 0n, m),
      },
    };
  }

  /** Send through this TSC's switches from now on. */
  attach(tsc: Pick<Tsc, "switches" | "sync" | "settle">): void {
    this.attachPort(tscPort(tsc));
  }

  /** Send through any switch port (tests: in-memory flow tables). */
  attachPort(port: SwitchPort): void {
    this.switches = port;
    this.recovery.startSettling();
  }

  /** The fabric address leased to an endpoint (allocated when its host is known). */
  fabricAddressOf(endpointId: string): string | undefined {
    return this.addresses.get(endpointId);
  }

  // ---- desired state and recovery ------------------------------------------------------------

  desiredFlows(dpid: bigint): FlowSpec[] {
    const host = this.inventory.host(dpid);
    if (!host) return bootstrapPipeline();
    const local = this.inventory.endpointsOn(dpid).flatMap((e) => this.addresses.leased(e) ?? []);
    const arpTargets = (e: FabricEndpoint): string[] => [
      e.gateway,
      ...this.inventory.endpointsInVpc(e.vpcId).map((p) => p.ipv4),
    ];
    const leases = this.addresses.gatewayLeaseFlows(dpid); // none unless a gateway's
    return [...hostPipeline(host, local, arpTargets), ...gatewayPipeline(host), ...leases];
  }

  /** One packet-in meter per instance port the pipeline names (the switch cuts a flooding port before the TSC sees it). */
  desiredMeters(dpid: bigint): MeterSpec[] {
    if (!this.inventory.host(dpid)) return [];
    return portMeters(
      this.inventory.endpointsOn(dpid).flatMap((e) => this.addresses.leased(e) ?? []),
      this.limits,
    );
  }

  /** A mapping flow read back from a VEB: exactly what policy implies now, not (stale), or not judgeable yet (a host not read back). */
  judgeFlow(f: FlowSpec, dpid: bigint): "current" | "stale" | "unknown" {
    return judgeFlow(this.view, f, dpid);
  }

  // ---- reactive setup ------------------------------------------------------------------------

  /** A packet-in from a VEB (the TSC hands them over through `tscOptions().app`). */
  async packetIn(dpid: bigint, m: MessageOf<"packetIn">): Promise<void> {
    const t0 = performance.now();
    this.counters.packetIns++;
    const inPort = m.match.inPort;
    if (m.tableId !== STAGES.FORWARD.table || inPort === undefined) return;
    const now = (this.options.clock ?? Date.now)();
    const key = `${dpid}/${inPort}`;
    const admission = this.guard.admit(key, now);
    if (admission.kind !== "judge") return this.blockPort(dpid, inPort, admission);
    // judged in turn: round robin over tenants, then their ports (a flood queues behind nobody else)
    const tenant = this.inventory.endpointAt(dpid, inPort)?.tenantId ?? "";
    return this.waiting.push(tenant, key, { dpid, inPort, key, m, t0, now });
  }

  private async judgePacketIn({ dpid, inPort, key, m, t0, now }: WaitingPacketIn): Promise<void> {
    const denySeconds = this.options.denySeconds ?? 5;
    const c = judgeConversation(this.view, dpid, inPort, m.data, denySeconds);
    if (c.kind === "ignore") return;
    if (c.kind === "deny") {
      this.counters.denied++;
      const verdict = this.guard.denied(key, now, denySeconds);
      if (verdict.kind !== "deny") return this.blockPort(dpid, inPort, verdict);
      this.switches.send(dpid, addFlowMod(c.flow));
      if (c.peer) this.denials.add(c.src.id, c.peer.id, now + denySeconds * 1000);
      this.log.info("conversation denied", { src: c.src.id, dst: c.dst, reason: c.reason });
      return;
    }
    if (!(await this.setupPair(c.src, c.dst, t0))) return;
    // released from the port it came in on: a tenant's frame must never enter the pipeline with in_port
    // CONTROLLER, the mark of a datapath-settle answer (`@nvi/openflow` settle.ts)
    this.switches.send(dpid, {
      type: "packetOut",
      xid: 0,
      bufferId: NO_BUFFER,
      inPort,
      actions: [{ type: "output", port: Port.TABLE }],
      data: withL4Checksum(m.data),
    });
    this.samples.add(performance.now() - t0);
  }

  /**
   * A port over its packet-in rate or its share of short drops: ONE drop flow for all its new
   * conversations replaces its per-destination drops (deleted first, so the VEB's slow path sees a
   * single wide flow, not hundreds of narrow ones); its established pairs still flow.
   */
  private blockPort(dpid: bigint, port: number, a: PortHeld): void {
    this.counters.rateLimited++;
    if (a.kind !== "block") return;
    this.counters.blocks++;
    for (const lift of denyLiftMods(undefined, { inPort: port })) this.switches.send(dpid, lift);
    this.switches.send(dpid, addFlowMod(rateLimitFlow(port, a.seconds)));
    this.log.warn("port blocked: too many new conversations", {
      datapathId: dpid.toString(16),
      port,
      seconds: a.seconds,
    });
  }

  /** Install both directions on every VEB involved, wait for their barriers; one setup per pair at a time. */
  setupPair(a: FabricEndpoint, b: FabricEndpoint, startedAt?: number): Promise<boolean> {
    return this.pairs.once(pairKeyOf(a, b), () => this.installPair(a, b, startedAt));
  }

  private async installPair(a: FabricEndpoint, b: FabricEndpoint, startedAt?: number): Promise<boolean> {
    const epoch = this.policyEpoch;
    const perSwitch = expectedPairFlows(this.view, a, b);
    if (!perSwitch) return false;
    if ([...perSwitch.keys()].some((dpid) => !this.switches.has(dpid))) {
      this.log.warn("pair not set up: a VEB is not connected", { a: a.id, b: b.id });
      return false;
    }
    // a gateway writes down the leases the pair uses there first (a restarted TSC reads them back)
    const acks = [...perSwitch].map(([dpid, flows]) =>
      this.switches.sendWithBarrier(
        dpid,
        [...this.addresses.gatewayLeaseFlows(dpid, [a, b]), ...flows].map(addFlowMod),
      ),
    );
    if (startedAt !== undefined) this.decideSamples.add(performance.now() - startedAt);
    const errors = (await Promise.all(acks)).flat();
    if (errors.length > 0) {
      this.log.warn("pair flows rejected", { a: a.id, b: b.id, errors: errors.length });
      return false;
    }
    if (epoch !== this.policyEpoch || !stillPlugged(this.inventory, a) || !stillPlugged(this.inventory, b)) {
      // the policy or an endpoint changed while the flows were on their way: take them back, the next packet decides again
      await this.revokePairs([{ a: a.id, b: b.id, dpids: [...perSwitch.keys()] }]);
      return false;
    }
    this.pairs.record(a.id, b.id, perSwitch, signatureOf(perSwitch));
    this.counters.setups++;
    return true;
  }

  /**
   * A gateway's VEB went or came back (README "Several gateways per cloud"): the pairs whose
   * gateway choice changed are revoked on their VEBs and set up at once on the gateways now chosen,
   * without waiting for their next packet; the instances' own addresses and ports never change, so
   * their established connections only see the packets lost in between.
   */
  async gatewayChanged(dpid: bigint, o: { gone?: boolean } = {}): Promise<void> {
    if (o.gone) this.gateways.gone(dpid);
    if (!this.inventory.host(dpid)?.gateway) return;
    await moveGatewayPairs(this.view, this.pairs.all(), this.moves, `gateway ${dpid.toString(16)}`);
  }

  /**
   * Which pairs of clouds are joined by a trusted direct link (README "Trusted direct links"); the
   * pairs between clouds whose link changed move to the new path at once, as for a gateway change.
   */
  async setDirectLinks(links: readonly (readonly [string, string])[]): Promise<void> {
    this.inventory.setDirectLinks(links);
    this.policyEpoch++; // a setup under way was shaped for the old path: it is taken back, its next packet decides again
    await moveGatewayPairs(this.view, this.pairs.all(), this.moves, "direct links");
  }

  /**
   * The gateways' latest word on their WireGuard links (every report the worker holds, each bound to
   * the host that made it): the gateways whose tunnels are cut are down (`cutGateways`), and each
   * gateway whose state changed has its pairs moved, through the same damper as its port status (a
   * flapping link moves them at most once per hold). Answers the gateways now cut.
   */
  tunnelReports(reports: readonly TunnelReport[]): bigint[] {
    return this.gateways.tunnels(reports);
  }

  /**
   * A VEB removed a flow (idle timeout, or deleted: a resync and the read-back rely on these notices
   * to keep the pair table right): the table follows. A notice never undoes a later setup of the
   * same pair: a VEB sends it before its answer to any later barrier, and a setup is recorded only
   * once its barriers have answered.
   */
  flowRemoved(dpid: bigint, m: MessageOf<"flowRemoved">): void {
    if (cookieKind(m.cookie) !== "MAPPING") return;
    this.pairs.flowRemoved(dpid, m);
    this.recovery.removed(dpid, m);
  }

  // ---- plug, unplug, revoke ------------------------------------------------------------------

  /** Bind an instance port; its VEB and its VPC peers' VEBs are brought in sync (port security, ARP, lease). */
  async plug(e: FabricEndpoint): Promise<string | undefined> {
    const before = this.inventory.endpoint(e.id);
    if (
      before &&
      (before.datapathId !== e.datapathId ||
        before.port !== e.port ||
        before.ipv4 !== e.ipv4 ||
        before.vpcId !== e.vpcId)
    )
      await this.unplug(e.id);
    this.inventory.plug(e);
    if (!before) await this.liftDenials(e);
    const lease = this.addresses.leased(e)?.fabricIp;
    await this.syncHosts(this.plugVebs(e));
    return lease;
  }

  /**
   * The VEBs plugging this endpoint programs (its own, and those of its VPC peers: their ARP answers
   * and port security name it), known hosts only: what must be connected for a plug to be confirmed.
   */
  plugVebs(e: Pick<FabricEndpoint, "datapathId" | "vpcId">): bigint[] {
    const peers = this.inventory.endpointsInVpc(e.vpcId).map((p) => p.datapathId);
    return [...new Set([e.datapathId, ...peers])].filter((d) => d === e.datapathId || this.inventory.host(d));
  }

  /** Unbind an instance: every flow to or from it is deleted by cookie on every VEB, then its lease is freed. */
  async unplug(endpointId: string): Promise<void> {
    const e = this.inventory.unplug(endpointId);
    if (!e) return;
    this.recovery.judgePending(); // flows kept unjudged that serve it go now
    this.guard.forget(`${e.datapathId}/${e.port}`);
    const fabricIp = this.addresses.get(e.id);
    const revoked = this.revokePairs(revocationsOf(this.pairs.involving(e.id)));
    const swept = this.switches
      .connected()
      .map((dpid) => this.switches.sendWithBarrier(dpid, sweepMods(e, fabricIp, dpid === e.datapathId)));
    await Promise.all([revoked, ...swept]);
    // its VEB, its peers' (ARP answers) and the gateways that wrote its gateway leases down
    const vebs = [e.datapathId, ...this.addresses.gatewaysHolding(e.id)];
    this.addresses.release(e.id);
    await this.syncHosts([...vebs, ...this.inventory.endpointsInVpc(e.vpcId).map((p) => p.datapathId)]);
  }

  /**
   * A peer that tried an address while nobody held it (an instance stopped or not yet launched)
   * holds a short drop flow for it; once an instance holds the address those drops are deleted, so
   * its first packet reaches the TSC at once instead of after the deny window. (Another tenant's
   * drop for the same private address is lifted too: its next packet is simply judged again.)
   */
  private async liftDenials(e: FabricEndpoint): Promise<void> {
    const mods = arrivalLiftMods(this.view.reachableVpcs(e.vpcId), e.ipv4);
    await Promise.all(this.switches.connected().map((dpid) => this.switches.sendWithBarrier(dpid, mods)));
  }

  /** Deletes, by the pair's cookie, every flow of these pairs on the VEBs they touch (both directions), then forgets them. */
  private async revokePairs(pairs: Revocation[]): Promise<void> {
    const perSwitch = revocationMods(pairs);
    for (const p of pairs) this.pairs.forget(p.a, p.b);
    await Promise.all([...perSwitch].map(([dpid, mods]) => this.switches.sendWithBarrier(dpid, mods)));
  }

  /**
   * After a policy change: every known pair whose flows policy now shapes differently (or denies)
   * is revoked by cookie on its VEBs, and short drops of the given VPCs are lifted everywhere so a
   * newly allowed pair's next packet is judged at once. Each connected VEB answers with a barrier;
   * the answer says when each confirmed. Pairs still allowed as they are keep flowing untouched.
   * `orgIds` (the fast path): only pairs with an endpoint of these tenants are judged again, so a
   * change costs what it touches; without it every known pair is (the full recompute).
   */
  async applyPolicy(
    o: {
      liftDenyVpcs?: readonly string[];
      hostIdOf?: (datapathId: bigint) => string | null;
      orgIds?: readonly string[];
    } = {},
  ): Promise<VebApplied[]> {
    this.policyEpoch++;
    this.recovery.judgePending(); // flows kept unjudged whose pair the policy now denies go first
    const t0 = performance.now();
    const startedAtMs = Date.now();
    const revoke = revocationsOf(changedPairs(this.view, pairsOfTenants(this.pairs, this.inventory, o.orgIds)));
    const perSwitch = policyChangeMods(
      touchedVebs(this.switches.connected(), this.inventory, { orgIds: o.orgIds, revoke, vpcs: o.liftDenyVpcs }),
      revoke,
      o.liftDenyVpcs,
    );
    for (const p of revoke) this.pairs.forget(p.a, p.b);
    const setups = this.setUpAllowedDenials(o.orgIds);
    const applied = await Promise.all(
      [...perSwitch].map(async ([dpid, { mods, revoked }]): Promise<VebApplied> => {
        const veb = {
          startedAtMs,
          hostId: o.hostIdOf?.(dpid) ?? null,
          hostName: this.inventory.host(dpid)?.name ?? dpid.toString(16),
          revokedPairs: revoked,
        };
        try {
          return { ...veb, ...(await confirmVeb(this.switches, dpid, mods, revoked > 0, t0)) };
        } catch (e) {
          return { ...veb, confirmedMs: performance.now() - t0, error: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
    await setups;
    return applied;
  }

  /**
   * Pairs denied within their drop window that the policy now allows (an endpoint of one of these
   * tenants, or any when none are named): set up now, beside the change's own flow-mods, so their
   * next packet passes without asking the TSC. A setup that fails is left to that next packet.
   */
  private setUpAllowedDenials(orgIds: readonly string[] | undefined): Promise<unknown> {
    const now = (this.options.clock ?? Date.now)();
    const allowed = (a: FabricEndpoint, b: FabricEndpoint) => expectedPairFlows(this.view, a, b) !== undefined;
    const ready = this.denials.allowedNow(this.inventory, orgIds, now, allowed);
    return Promise.all(ready.map(([a, b]) => this.setupPair(a, b).catch(() => false)));
  }

  /**
   * Read a VEB's pair flows back and judge them against the policy now: stale ones are deleted,
   * a pair left half by flows the VEB lacks is set up again (the worker's drift report).
   */
  verify(dpid: bigint): Promise<VebRealization> {
    return this.recovery.verify(dpid);
  }

  private async syncHosts(dpids: bigint[]): Promise<void> {
    await Promise.all([...new Set(dpids)].filter((d) => this.switches.has(d)).map((d) => this.switches.sync(d)));
  }

  /** Register or update a host; its VEB is re-synced if connected. */
  async upsertHost(h: FabricHost): Promise<void> {
    this.inventory.upsertHost(h);
    await this.syncHosts([h.datapathId]);
  }

  stats(): MappingStats {
    return {
      hosts: this.inventory.hosts().length,
      endpoints: this.inventory.endpoints().length,
      leases: this.addresses.size,
      activePairs: this.pairs.size,
      pairFlows: this.pairs.flowCount,
      restoredPairs: this.recovery.restored,
      ...this.counters,
      queueDropped: this.waiting.stats().dropped,
      setupMs: this.samples.summary(),
      decideMs: this.decideSamples.summary(),
    };
  }
}
