import { FABRIC_OFPORT, GATEWAY_TUNNEL, type VebApplied } from "@nvi/contracts";
import { Inventory, NviMapping, type FabricEndpoint, type FabricHost, type Tsc, type Verdict } from "@nvi/controller";
import type { CoreDeps, DataPlane, PluggedInstance } from "@nvi/core";
import { DirectLinks } from "./direct-links.ts";
import { PolicyState } from "./policy-state.ts";
import { dbPolicySource } from "./policy-source.ts";

/** A host row as the fabric reads it: the identity the console approved, never a heartbeat's facts. */
interface HostRow {
  id: string;
  name: string;
  orgId: string;
  fabricProblem: string | null;
  datapathId: string | null;
  fabricAddress: string | null;
  fabricPrefixLen: number | null;
  fabricMac: string | null;
  nextHopMac: string | null;
  instanceBlock: string | null;
  gatewayPublicAddress: string | null;
  wireguardPublicKey: string | null;
  cloud: { id: string; datacenter: string; interconnect: "routed" | "gateway" };
}

/**
 * The mapping's cloud of a host (issue 15): every cloud on the console's routed fabric is one and the
 * same ("routed": their blocks reach each other), a cloud joined through gateways is its own, so a
 * pair with one of its hosts goes through gateways (and is refused, with the reason, while the TSC
 * knows no gateway of it).
 */
export function mappingCloudOf(cloud: { id: string; interconnect: "routed" | "gateway" }): string {
  return cloud.interconnect === "gateway" ? cloud.id : "routed";
}

const dpidKey = (dpid: bigint): string => dpid.toString(16).padStart(16, "0");

/**
 * The TSC's view of the world, fed from Postgres: hosts with an approved fabric identity (datapath
 * id, fabric address and MAC, next hop, instance block; see core's host-identity.ts), running
 * instances with their VEB port, and the connectivity policy of every organization (groups, rules,
 * deny lists, peerings), which decides every pair. `refresh()` re-reads hosts and instances (on
 * start and every few seconds) and only the policy of organizations whose version moved or whose
 * instance is new; a committed policy change reaches `policyChanged` at once (LISTEN
 * nvi_policy_changed), which reloads the organizations it names and revokes their pairs only.
 *
 * One bad record never stops the loop that serves everyone: a host or instance that conflicts with
 * another is skipped, logged and reported on its host (`fabric_problem`), and everything that is no
 * longer wanted (hosts gone, offline or re-identified; their instances) is pruned at each refresh.
 */
export class DbFabric {
  readonly inventory = new Inventory();
  readonly mapping: NviMapping;
  private readonly hostByDatapath = new Map<string, string>();
  private readonly datapathByHost = new Map<string, bigint>();
  /** what each host's `fabric_problem` holds, so a refresh writes only changes */
  private readonly reported = new Map<string, string | null>();
  readonly policy: PolicyState;
  /** policy changes being applied or just applied, by operation id: the fast path and the job share one */
  private readonly applying = new Map<string, Promise<VebApplied[]>>();
  private tsc: Tsc | undefined;
  /** the trusted direct links between gateway clouds, handed to the mapping when they change */
  private readonly directLinks: DirectLinks;

  constructor(
    private readonly deps: CoreDeps,
    private readonly logger?: {
      info(msg: string, f?: Record<string, unknown>): void;
      warn(msg: string, f?: Record<string, unknown>): void;
    },
  ) {
    this.policy = new PolicyState(dbPolicySource(deps));
    this.mapping = new NviMapping({
      inventory: this.inventory,
      logger,
      policy: (src, dst) => this.decide(src.id, dst.id),
      reachableVpcs: (vpc) => this.policy.reachableVpcs(vpc),
    });
    this.directLinks = new DirectLinks(deps.db, this.mapping, logger);
  }

  attach(tsc: Tsc): void {
    this.tsc = tsc;
    this.mapping.attach(tsc);
  }

  /** The pair's verdict from its destination's view (an instance the views have not read yet is denied: default deny). */
  private decide(srcId: string, dstId: string): Verdict {
    const src = this.policy.instance(srcId);
    const dst = this.policy.instance(dstId);
    if (!src || !dst) return { allowed: false, reason: "not in the policy view yet" };
    const d = this.policy.viewOf(dst.orgId).decide(src, dst);
    return { allowed: d.services.length > 0, reason: d.reason, services: d.services, dscp: src.underlayDscp };
  }

  /** Every organization's policy on the first call; afterwards only what moved (see `PolicyState.sync`). */
  async refreshPolicy(live: readonly { id: string; orgId: string }[] = []): Promise<void> {
    if (!this.policy.ready) await this.policy.loadAll();
    else await this.policy.sync(live);
  }

  /**
   * A committed policy change (the fast path, or the operation's job when it comes first): the
   * named organizations' policy is read again, their pairs judged again and those no longer
   * allowed deleted by cookie, one barrier per VEB. Once per operation: a second call shares the
   * first one's answer.
   */
  policyChanged(change: {
    operationId?: string;
    orgIds: readonly string[];
    policyVersion?: number;
  }): Promise<VebApplied[]> {
    const key = change.operationId;
    const known = key === undefined ? undefined : this.applying.get(key);
    if (known) return known;
    const first = change.orgIds[0];
    const versions = new Map(
      change.policyVersion === undefined || first === undefined ? [] : [[first, change.policyVersion]],
    );
    const run = this.applyChange(change.orgIds, versions);
    if (key !== undefined) {
      this.applying.set(key, run);
      // a failed application is not kept: the operation's retry applies again
      run.catch(() => this.applying.get(key) === run && this.applying.delete(key));
      // kept a while: the job that comes after the fast path (or the reverse) finds it here
      while (this.applying.size > 256) this.applying.delete(this.applying.keys().next().value!);
    }
    return run;
  }

  private async applyChange(orgIds: readonly string[], known: ReadonlyMap<string, number>): Promise<VebApplied[]> {
    const t0 = performance.now();
    const startedAtMs = Date.now();
    if (!this.policy.ready) await this.policy.loadAll();
    await this.policy.reload(orgIds, known);
    const t1 = performance.now();
    // short drops are lifted only where these organizations' instances (or their peers') sent them
    const vpcs = new Set(
      orgIds.flatMap((o) => this.policy.instancesOfOrg(o)).flatMap((i) => this.policy.reachableVpcs(i.vpcId)),
    );
    const applied = await this.mapping.applyPolicy({
      liftDenyVpcs: [...vpcs],
      hostIdOf: (d) => this.hostIdOf(d) ?? null,
      orgIds,
    });
    this.logger?.info("policy applied", {
      orgIds,
      reloadMs: Math.round(t1 - t0),
      revokeMs: Math.round(performance.now() - t1),
      revokedPairs: applied.reduce((n, a) => n + a.revokedPairs, 0),
    });
    // counted from when the change reached the TSC, the reload included
    return applied.map((a) => {
      const shift = (a.startedAtMs ?? startedAtMs) - startedAtMs;
      return {
        ...a,
        startedAtMs,
        confirmedMs: a.confirmedMs + shift,
        ...(a.barrierMs === undefined ? {} : { barrierMs: a.barrierMs + shift }),
      };
    });
  }

  private hostIdOf(dpid: bigint): string | undefined {
    return this.hostByDatapath.get(dpidKey(dpid));
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
    const orgs = await this.deps.db.organization.findMany({
      where: { id: { in: hosts.map((h) => h.orgId) } },
      select: { id: true, policyVersion: true },
    });
    const versions = new Map(hosts.map((h) => [h.id, orgs.find((o) => o.id === h.orgId)?.policyVersion ?? 0]));
    for (const dpid of tsc.switches.keys()) {
      const hostId = this.hostIdOf(dpid);
      if (!hostId || !versions.has(hostId)) continue;
      const r = await this.mapping.verify(dpid);
      const row = {
        checkedAt: this.deps.clock(),
        policyVersion: versions.get(hostId) ?? 0,
        pairFlows: r.pairFlows,
        stale: r.stale,
        missing: r.missing,
        details: r.details,
      };
      await this.deps.db.policyRealization.upsert({ where: { hostId }, create: { hostId, ...row }, update: row });
    }
  }

  /**
   * A host the mapping can use, or why not (not claimed yet: an old agent, or no NVI_CONTROLLER /
   * NVI_INSTANCE_BLOCK). A gateway of a gateway cloud (a public address set by an owner or admin and
   * an approved WireGuard key: what its agent sets its tunnel up with) gets its tunnel port.
   */
  static fabricHost(row: Omit<HostRow, "orgId" | "fabricProblem">): FabricHost | string {
    const x = row;
    if (
      !x.datapathId ||
      !x.fabricAddress ||
      x.fabricPrefixLen === null ||
      !x.fabricMac ||
      !x.nextHopMac ||
      !x.instanceBlock
    )
      return "no approved fabric identity yet (datapath id, address, MACs, instance block)";
    const gateway = row.cloud.interconnect === "gateway" && row.gatewayPublicAddress && row.wireguardPublicKey;
    return {
      datapathId: BigInt(`0x${x.datapathId}`),
      name: row.name,
      datacenter: row.cloud.datacenter,
      fabricIp: x.fabricAddress,
      fabricPrefixLen: x.fabricPrefixLen,
      fabricMac: x.fabricMac,
      gatewayMac: x.nextHopMac,
      fabricPort: FABRIC_OFPORT,
      instanceBlock: x.instanceBlock,
      cloud: mappingCloudOf(row.cloud),
      ...(gateway
        ? {
            gateway: {
              tunnelPort: GATEWAY_TUNNEL.ofport,
              tunnelMac: GATEWAY_TUNNEL.vebMac,
              stackMac: GATEWAY_TUNNEL.stackMac,
            },
          }
        : {}),
    };
  }

  private endpointOf(i: PluggedInstance): FabricEndpoint | undefined {
    const dpid = this.datapathByHost.get(i.hostId);
    if (dpid === undefined) return undefined;
    return {
      id: i.id,
      tenantId: i.orgId,
      vpcId: i.vpcId,
      datapathId: dpid,
      port: i.ofport,
      mac: i.mac,
      ipv4: i.address,
      gateway: i.gateway,
    };
  }

  /**
   * Hosts heard from in the last 2 minutes, with their approved identity. Two rows can never hold one
   * datapath id, address or MAC (unique in Postgres); should the inventory still refuse one (an
   * identity approved under older rules), the later-enrolled host is the one skipped.
   */
  private async wantedHosts(
    since: Date,
    problems: Map<string, string>,
  ): Promise<{ rows: HostRow[]; wanted: Map<string, { hostId: string; host: FabricHost }> }> {
    const rows: HostRow[] = await this.deps.db.host.findMany({
      where: { lastSeenAt: { gte: since } },
      select: {
        id: true,
        name: true,
        orgId: true,
        fabricProblem: true,
        datapathId: true,
        fabricAddress: true,
        fabricPrefixLen: true,
        fabricMac: true,
        nextHopMac: true,
        instanceBlock: true,
        gatewayPublicAddress: true,
        wireguardPublicKey: true,
        cloud: { select: { id: true, datacenter: true, interconnect: true } },
      },
      orderBy: [{ enrolledAt: "asc" }, { id: "asc" }],
    });
    const wanted = new Map<string, { hostId: string; host: FabricHost }>();
    const taken = new Map<string, string>();
    for (const h of rows) {
      const fh = DbFabric.fabricHost(h);
      if (typeof fh === "string") continue;
      const clash = [
        `dpid:${dpidKey(fh.datapathId)}`,
        `ip:${fh.fabricIp}`,
        `mac:${fh.fabricMac}`,
        `block:${fh.instanceBlock}`,
      ].find((k) => taken.has(k));
      if (clash) {
        problems.set(h.id, `not on the fabric: its ${clash.split(":")[0]} is also another host's`);
        continue;
      }
      for (const k of [
        `dpid:${dpidKey(fh.datapathId)}`,
        `ip:${fh.fabricIp}`,
        `mac:${fh.fabricMac}`,
        `block:${fh.instanceBlock}`,
      ])
        taken.set(k, h.id);
      // its owner: a gateway's link reports speak only of its own organization's gateways
      wanted.set(dpidKey(fh.datapathId), { hostId: h.id, host: { ...fh, owner: h.orgId } });
    }
    return { rows, wanted };
  }

  /** Forgets a datapath id no host is approved for (any more): its endpoints are unplugged first. */
  private async pruneHost(key: string): Promise<void> {
    const dpid = BigInt(`0x${key}`);
    const hostId = this.hostByDatapath.get(key);
    for (const e of this.inventory.endpointsOn(dpid)) await this.mapping.unplug(e.id);
    this.inventory.removeHost(dpid);
    this.hostByDatapath.delete(key);
    if (hostId !== undefined && this.datapathByHost.get(hostId) === dpid) this.datapathByHost.delete(hostId);
    // a VEB still connected with that datapath id falls back to what the mapping has for it: nothing
    if (this.tsc?.switches.has(dpid))
      await this.tsc.sync(dpid).catch((error: unknown) =>
        this.logger?.warn("fabric: re-sync of a forgotten datapath failed", {
          datapathId: key,
          error: (error as Error).message,
        }),
      );
  }

  async refresh(): Promise<void> {
    // Read beside the policy: a policy change waits for this refresh before it revokes anything.
    const since = new Date(this.deps.clock().getTime() - 120_000);
    const problems = new Map<string, string>();
    const { rows, wanted } = await this.wantedHosts(since, problems);
    for (const [key, hostId] of [...this.hostByDatapath])
      if (wanted.get(key)?.hostId !== hostId) await this.pruneHost(key);
    for (const [hostId, dpid] of [...this.datapathByHost])
      if (wanted.get(dpidKey(dpid))?.hostId !== hostId) this.datapathByHost.delete(hostId);
    for (const [key, { hostId, host }] of wanted) {
      const known = this.inventory.host(host.datapathId);
      this.hostByDatapath.set(key, hostId);
      this.datapathByHost.set(hostId, host.datapathId);
      if (known && JSON.stringify({ ...known, datapathId: 0 }) === JSON.stringify({ ...host, datapathId: 0 })) continue;
      await this.mapping
        .upsertHost(host)
        .catch((error: unknown) => problems.set(hostId, `its VEB could not be synced: ${(error as Error).message}`));
    }
    // a failed read keeps the links as they were; the rest of the refresh goes on
    await this.directLinks.refresh();
    const live = await this.deps.db.instance.findMany({
      where: {
        status: { in: ["running", "starting"] },
        ofport: { not: null },
        hostId: { in: [...this.datapathByHost.keys()] },
      },
      include: { subnet: { select: { gateway: true } } },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    // the policy of organizations whose version moved, or with an instance not known yet
    await this.refreshPolicy(live);
    // starting ones are being plugged by a launch right now: keep them, do not plug them here
    const seen = new Set<string>(live.filter((i) => i.status === "starting").map((i) => i.id));
    for (const i of live.filter((x) => x.status === "running")) {
      const e = this.endpointOf({ ...i, ofport: i.ofport ?? 0, gateway: i.subnet.gateway });
      if (!e) continue;
      const problem = this.endpointProblem(e);
      if (problem) {
        problems.set(i.hostId, `instance ${i.name} not plugged: ${problem}`);
        continue;
      }
      seen.add(e.id);
      const cur = this.inventory.endpoint(e.id);
      if (cur && cur.port === e.port && cur.datapathId === e.datapathId) continue;
      try {
        await this.mapping.plug(e);
      } catch (error) {
        seen.delete(e.id);
        problems.set(i.hostId, `instance ${i.name} not plugged: ${(error as Error).message}`);
      }
    }
    for (const e of this.inventory.endpoints()) if (!seen.has(e.id)) await this.mapping.unplug(e.id);
    await this.report(rows, problems);
  }

  /** Why an endpoint cannot be plugged without displacing another (checked before anything is unplugged), or null. */
  private endpointProblem(e: FabricEndpoint): string | null {
    if (e.port <= FABRIC_OFPORT || e.port > 0xfeff) return `port ${e.port} is not an instance port`;
    const atPort = this.inventory.endpointAt(e.datapathId, e.port);
    if (atPort && atPort.id !== e.id) return `port ${e.port} is already bound to ${atPort.id}`;
    const atIp = this.inventory.endpointInVpc(e.vpcId, e.ipv4);
    if (atIp && atIp.id !== e.id) return `${e.ipv4} is already used in ${e.vpcId} by ${atIp.id}`;
    return null;
  }

  /** Each skipped host or instance: logged once, and its reason written on the host (cleared when it is fine again). */
  private async report(rows: HostRow[], problems: Map<string, string>): Promise<void> {
    for (const h of rows) {
      const problem = problems.get(h.id) ?? null;
      const known = this.reported.has(h.id) ? this.reported.get(h.id) : h.fabricProblem;
      if (known === problem) continue;
      if (problem) this.logger?.warn("fabric: skipped", { hostId: h.id, orgId: h.orgId, problem });
      await this.deps.db.host.updateMany({ where: { id: h.id }, data: { fabricProblem: problem } });
      this.reported.set(h.id, problem);
    }
  }

  readonly dataPlane: DataPlane = {
    plug: async (i) => {
      await this.refresh();
      const e = this.endpointOf(i);
      if (!e) return "";
      // this instance's own conflict fails its own launch; nobody else's endpoint is displaced
      const problem = this.endpointProblem(e);
      if (problem) throw new Error(problem);
      return (await this.mapping.plug(e)) ?? "";
    },
    unplug: (id) => this.mapping.unplug(id),
    vebsAway: async ({ hostId, vpcId }) => {
      const tsc = this.tsc;
      if (!tsc) return null;
      if (!this.datapathByHost.has(hostId)) await this.refresh();
      const own = this.datapathByHost.get(hostId);
      if (own === undefined) return ["the instance's host (not on the fabric: no approved identity heard from lately)"];
      return this.mapping
        .plugVebs({ datapathId: own, vpcId })
        .filter((d) => !tsc.switches.has(d))
        .map((d) => this.inventory.host(d)?.name ?? dpidKey(d));
    },
    // a policy change moves no instance: the named organizations' policy is all there is to re-read
    // after the revocation, before the operation ends: a pair flow the TSC did not know of goes too
    readBack: () => this.verifyAll(),
    applyPolicy: (orgId, operationId) =>
      this.policyChanged({ orgIds: [orgId], ...(operationId ? { operationId } : {}) }),
  };
}
