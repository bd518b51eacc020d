import { HostFacts, type VebApplied } from "@nvi/contracts";
import { Inventory, NviMapping, type FabricEndpoint, type FabricHost, type Tsc, type Verdict } from "@nvi/controller";
import { loadPolicy, type CoreDeps, type DataPlane } from "@nvi/core";
import { EMPTY_SNAPSHOT, PolicyView, type PolicyInstance } from "@nvi/policy";

/**
 * The TSC's view of the world, fed from Postgres: hosts whose agent reported fabric facts (datapath
 * id, fabric address and MAC, next hop, instance block), running instances with their VEB port,
 * and the connectivity policy of every organization (groups, rules, deny lists, peerings), which
 * decides every pair. `refresh()` re-reads it (on start and every few seconds); launches,
 * terminations and policy changes go through `dataPlane` at once.
 */
export class DbFabric {
  readonly inventory = new Inventory();
  readonly mapping: NviMapping;
  private readonly hostByDatapath = new Map<string, string>();
  private view = new PolicyView(EMPTY_SNAPSHOT);
  private instances = new Map<string, PolicyInstance>();
  private tsc: Tsc | undefined;

  constructor(private readonly deps: CoreDeps, private readonly logger?: { info(msg: string, f?: Record<string, unknown>): void; warn(msg: string, f?: Record<string, unknown>): void }) {
    this.mapping = new NviMapping({ inventory: this.inventory, logger, policy: (src, dst) => this.decide(src.id, dst.id), reachableVpcs: (vpc) => this.view.reachableVpcs(vpc) });
  }

  attach(tsc: Tsc): void {
    this.tsc = tsc;
    this.mapping.attach(tsc);
  }

  /** The pair's verdict from the policy view (an instance the view has not read yet is denied: default deny). */
  private decide(srcId: string, dstId: string): Verdict {
    const src = this.instances.get(srcId);
    const dst = this.instances.get(dstId);
    if (!src || !dst) return { allowed: false, reason: "not in the policy view yet" };
    const d = this.view.decide(src, dst);
    return { allowed: d.services.length > 0, reason: d.reason, services: d.services };
  }

  /** Re-read every organization's policy and the instances it applies to. */
  async refreshPolicy(): Promise<void> {
    const policy = await loadPolicy(this.deps.db);
    this.view = new PolicyView(policy.snapshot);
    this.instances = new Map(policy.instances.map((i) => [i.id, i]));
  }

  private hostIdOf(dpid: bigint): string | undefined {
    return this.hostByDatapath.get(dpid.toString(16).padStart(16, "0"));
  }

  /**
   * Reads every connected VEB's pair flows back, judges them against policy, repairs (stale flows
   * deleted, missing ones forgotten) and records the result per host: the console's drift report.
   */
  async verifyAll(): Promise<void> {
    const tsc = this.tsc;
    if (!tsc) return;
    const ids = [...tsc.switches.keys()].flatMap((d) => this.hostIdOf(d) ?? []);
    const hosts = await this.deps.db.host.findMany({ where: { id: { in: ids } }, select: { id: true, orgId: true } });
    const orgs = await this.deps.db.organization.findMany({ where: { id: { in: hosts.map((h) => h.orgId) } }, select: { id: true, policyVersion: true } });
    const versions = new Map(hosts.map((h) => [h.id, orgs.find((o) => o.id === h.orgId)?.policyVersion ?? 0]));
    for (const dpid of tsc.switches.keys()) {
      const hostId = this.hostIdOf(dpid);
      if (!hostId || !versions.has(hostId)) continue;
      const r = await this.mapping.verify(dpid);
      const row = { checkedAt: this.deps.clock(), policyVersion: versions.get(hostId) ?? 0, pairFlows: r.pairFlows, stale: r.stale, missing: r.missing, details: r.details };
      await this.deps.db.policyRealization.upsert({ where: { hostId }, create: { hostId, ...row }, update: row });
    }
  }

  /** A host the mapping can use, or why not (facts missing: an old agent, or no NVI_CONTROLLER / NVI_INSTANCE_BLOCK). */
  static fabricHost(row: { id: string; name: string; facts: unknown }, datacenter: string): FabricHost | string {
    const f = HostFacts.safeParse(row.facts);
    if (!f.success) return "unreadable facts";
    const x = f.data;
    if (!x.datapathId || !x.fabricAddress || x.fabricPrefixLen === null || !x.fabricMac || !x.nextHopMac || !x.instanceBlock) return "the agent has not reported its fabric (datapath id, address, MACs, instance block)";
    return { datapathId: BigInt(`0x${x.datapathId}`), name: row.name, datacenter: x.datacenter ?? datacenter, fabricIp: x.fabricAddress, fabricPrefixLen: x.fabricPrefixLen, fabricMac: x.fabricMac, gatewayMac: x.nextHopMac, fabricPort: 1, instanceBlock: x.instanceBlock };
  }

  private endpointOf(i: { id: string; orgId: string; vpcId: string; hostId: string; ofport: number; mac: string; address: string; gateway: string }): FabricEndpoint | undefined {
    const host = [...this.hostByDatapath].find(([, id]) => id === i.hostId);
    if (!host) return undefined;
    return { id: i.id, tenantId: i.orgId, vpcId: i.vpcId, datapathId: BigInt(`0x${host[0]}`), port: i.ofport, mac: i.mac, ipv4: i.address, gateway: i.gateway };
  }

  async refresh(): Promise<void> {
    // hosts heard from in the last 2 minutes, newest first: if two host rows claim one datapath id
    // (a machine re-enrolled), the one that heartbeats wins. Read beside the policy: a policy
    // change waits for this refresh before it revokes anything.
    const since = new Date(this.deps.clock().getTime() - 120_000);
    const [, hosts] = await Promise.all([
      this.refreshPolicy(),
      this.deps.db.host.findMany({ where: { lastSeenAt: { gte: since } }, include: { cloud: { select: { datacenter: true } } }, orderBy: { lastSeenAt: "asc" } }),
    ]);
    for (const h of hosts) {
      const fh = DbFabric.fabricHost(h, h.cloud.datacenter);
      if (typeof fh === "string") continue;
      const key = fh.datapathId.toString(16).padStart(16, "0");
      const known = this.inventory.host(fh.datapathId);
      this.hostByDatapath.set(key, h.id);
      if (!known || JSON.stringify({ ...known, datapathId: 0 }) !== JSON.stringify({ ...fh, datapathId: 0 })) await this.mapping.upsertHost(fh);
    }
    const current = new Set(this.hostByDatapath.values());
    const live = await this.deps.db.instance.findMany({ where: { status: { in: ["running", "starting"] }, ofport: { not: null }, hostId: { in: [...current] } }, include: { subnet: { select: { gateway: true } } } });
    // starting ones are being plugged by a launch right now: keep them, do not plug them here
    const seen = new Set<string>(live.map((i) => i.id));
    for (const i of live.filter((x) => x.status === "running")) {
      const e = this.endpointOf({ ...i, ofport: i.ofport ?? 0, gateway: i.subnet.gateway });
      if (!e) continue;
      const cur = this.inventory.endpoint(e.id);
      if (!cur || cur.port !== e.port || cur.datapathId !== e.datapathId) await this.mapping.plug(e);
    }
    for (const e of this.inventory.endpoints()) if (!seen.has(e.id)) await this.mapping.unplug(e.id);
  }

  readonly dataPlane: DataPlane = {
    plug: async (i) => {
      await this.refresh();
      const e = this.endpointOf(i);
      if (!e) return "";
      return (await this.mapping.plug(e)) ?? "";
    },
    unplug: (id) => this.mapping.unplug(id),
    applyPolicy: async (orgId): Promise<VebApplied[]> => {
      const t0 = performance.now();
      // a policy change moves no instance: the policy (and labels) is all there is to re-read
      await this.refreshPolicy();
      const t1 = performance.now();
      // short drops are lifted only where this organization's instances (or its peers') sent them
      const vpcs = new Set([...this.instances.values()].filter((i) => i.orgId === orgId).flatMap((i) => this.view.reachableVpcs(i.vpcId)));
      const applied = await this.mapping.applyPolicy({ liftDenyVpcs: [...vpcs], hostIdOf: (d) => this.hostIdOf(d) ?? null });
      const t2 = performance.now();
      // read the VEBs back at once: a pair the TSC did not know of cannot outlive the change
      await this.verifyAll();
      this.logger?.info("policy applied", { refreshMs: Math.round(t1 - t0), revokeMs: Math.round(t2 - t1), verifyMs: Math.round(performance.now() - t2), revokedPairs: applied.reduce((n, a) => n + a.revokedPairs, 0) });
      return applied;
    },
  };
}
