import { EMPTY_SNAPSHOT, PolicyView, type PolicyInstance, type PolicySnapshot } from "@nvi/policy";

/** One organization's policy as read from Postgres: its own, plus its active peers' (they decide pairs across a peering). */
export interface OrgPolicy {
  /** the organization's policy version, read before the rest (a later change shows as a higher one) */
  version: number;
  snapshot: PolicySnapshot;
  /** live instances of the organization and of its active peers */
  instances: PolicyInstance[];
  /** the organization and its active peers */
  orgIds: readonly string[];
}

export interface PolicySource {
  /**
   * one organization's policy (`loadPolicy(db, [orgId])` and its version; `version` when the caller
   * knows it already; `peers`: its active peers as last read, for a source that reads them at once;
   * Postgres reads the organization with its peers in one statement anyway)
   */
  load(orgId: string, version?: number, peers?: readonly string[]): Promise<OrgPolicy>;
  /** every organization's policy version (what the backstop compares) */
  versions(): Promise<Map<string, number>>;
}

const CONCURRENCY = 8;

/**
 * The TSC's policy, kept per organization: a pair is decided by its destination organization's
 * view (that organization's groups, rules and deny entries, its peerings, and its active peers'
 * groups and deny entries: everything `PolicyView.decide` reads for such a pair). A change reloads
 * the organizations it names and their peers, nothing else, so its cost follows the tenants it
 * touches, not how many there are. Loads may finish out of order: a view is replaced only by one
 * whose read started later (an old read never undoes a newer change).
 */
export class PolicyState {
  private readonly views = new Map<string, { view: PolicyView; version: number; peers: readonly string[] }>();
  private readonly instances = new Map<string, PolicyInstance>();
  private readonly instancesOf = new Map<string, Set<string>>();
  private readonly vpcOrg = new Map<string, string>();
  private readonly installed = new Map<string, number>();
  private seq = 0;
  private loaded = false;
  private syncing: Promise<string[]> | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly source: PolicySource) {}

  /** Whether `loadAll` has run. */
  get ready(): boolean {
    return this.loaded;
  }

  /** Organizations with a view. */
  get size(): number {
    return this.views.size;
  }

  instance(id: string): PolicyInstance | undefined {
    return this.instances.get(id);
  }

  /** Live instances of one organization. */
  instancesOfOrg(orgId: string): PolicyInstance[] {
    return [...(this.instancesOf.get(orgId) ?? [])].flatMap((id) => this.instances.get(id) ?? []);
  }

  /** The view that decides pairs towards `orgId`'s instances (an empty one, default deny, if unknown). */
  viewOf(orgId: string): PolicyView {
    return this.views.get(orgId)?.view ?? EMPTY_VIEW;
  }

  /** VPCs an instance of `vpcId` may be paired with (itself and its active peerings). */
  reachableVpcs(vpcId: string): string[] {
    const org = this.vpcOrg.get(vpcId);
    return org === undefined ? [vpcId] : this.viewOf(org).reachableVpcs(vpcId);
  }

  /** Every organization, once (on start); a second caller meanwhile shares the first one's read. */
  loadAll(): Promise<void> {
    this.loading ??= this.source
      .versions()
      .then((v) => this.reloadEach([...v.keys()]))
      .then(() => void (this.loaded = true))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  /**
   * A change of these organizations' policy: they are read again, then those whose views hold
   * their data (their peers, before and after). Resolves once every view is current. `known`: a
   * version the change announced (read after its commit, the policy is at least that new).
   */
  async reload(orgIds: readonly string[], known: ReadonlyMap<string, number> = new Map()): Promise<void> {
    const peers = new Set((await this.reloadEach(orgIds, known)).flat());
    for (const o of orgIds) peers.delete(o);
    await this.reloadEach([...peers]);
  }

  /**
   * The backstop for a missed notification: organizations whose version moved since their view was
   * read, and those owning an instance the views do not know yet (just launched), are read again.
   */
  async sync(liveInstances: readonly { id: string; orgId: string }[] = []): Promise<string[]> {
    // one at a time: a refresh that comes while a long one (thousands of new tenants) runs shares it,
    // then reads the organizations of its own new instances if that one did not
    const shared = this.syncing;
    if (!shared) {
      this.syncing = this.syncNow(liveInstances).finally(() => (this.syncing = undefined));
      return this.syncing;
    }
    const done = await shared;
    const missing = [...new Set(liveInstances.filter((i) => !this.instances.has(i.id)).map((i) => i.orgId))];
    if (missing.length > 0) await this.reload(missing);
    return [...new Set([...done, ...missing])];
  }

  private async syncNow(liveInstances: readonly { id: string; orgId: string }[]): Promise<string[]> {
    const versions = await this.source.versions();
    const stale = new Set<string>();
    for (const [org, v] of versions) if (this.views.get(org)?.version !== v) stale.add(org);
    for (const i of liveInstances) if (!this.instances.has(i.id)) stale.add(i.orgId);
    if (stale.size > 0) await this.reload([...stale]);
    return [...stale];
  }

  /** Reads each organization (a few at a time); answers the peers each one had and has. */
  private async reloadEach(
    orgIds: readonly string[],
    known: ReadonlyMap<string, number> = new Map(),
  ): Promise<string[][]> {
    const out: string[][] = [];
    for (let k = 0; k < orgIds.length; k += CONCURRENCY)
      out.push(...(await Promise.all(orgIds.slice(k, k + CONCURRENCY).map((o) => this.reloadOne(o, known.get(o))))));
    return out;
  }

  private async reloadOne(orgId: string, version: number | undefined): Promise<string[]> {
    const gen = ++this.seq;
    const before = this.views.get(orgId)?.peers ?? [];
    const p = await this.source.load(orgId, version, before);
    const peers = p.orgIds.filter((o) => o !== orgId);
    if ((this.installed.get(orgId) ?? 0) < gen) {
      this.installed.set(orgId, gen);
      this.views.set(orgId, { view: new PolicyView(p.snapshot), version: p.version, peers });
      for (const id of this.instancesOf.get(orgId) ?? []) this.instances.delete(id);
      const own = p.instances.filter((i) => i.orgId === orgId);
      this.instancesOf.set(orgId, new Set(own.map((i) => i.id)));
      for (const i of own) this.instances.set(i.id, i);
      for (const g of p.snapshot.groups) if (g.orgId === orgId) this.vpcOrg.set(g.vpcId, orgId);
      for (const i of own) this.vpcOrg.set(i.vpcId, orgId);
    }
    return [...new Set([...before, ...peers])];
  }
}

const EMPTY_VIEW = new PolicyView(EMPTY_SNAPSHOT);
