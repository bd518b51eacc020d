import type { Labels, MatrixCell, PeeringStatus, PolicyProtocol, PortRange, Service } from "@nvi/contracts";
import { changeOf, covers, describeServices, normalize } from "./services.ts";

/**
 * The policy as plain data, and the one place that decides what a pair may do. Core answers
 * "why" and previews with it; the TSC compiles flows from it. Pure: no I/O.
 */

export interface PolicyInstance {
  id: string;
  orgId: string;
  vpcId: string;
  name: string;
  address: string;
  labels: Labels;
  /** the DSCP its packets carry on the underlay: its VPC's setting (absent: the default, 0) */
  underlayDscp?: number;
}

export interface PolicyGroup {
  id: string;
  orgId: string;
  vpcId: string;
  name: string;
  matchLabels: Labels | null;
  memberIds: readonly string[];
}

export interface PolicyRule {
  id: string;
  orgId: string;
  srcGroupId: string | null;
  srcVpcId: string | null;
  dstGroupId: string;
  protocol: PolicyProtocol;
  ports: readonly PortRange[];
  bidirectional: boolean;
  enabled: boolean;
  description: string;
}

export interface PolicyDeny {
  id: string;
  orgId: string;
  srcLabels: Labels;
  dstLabels: Labels;
  description: string;
}

export interface PolicyPeering {
  id: string;
  vpcA: string;
  vpcB: string;
  status: PeeringStatus;
}

export interface PolicySnapshot {
  groups: readonly PolicyGroup[];
  rules: readonly PolicyRule[];
  denies: readonly PolicyDeny[];
  peerings: readonly PolicyPeering[];
}

export interface Decision {
  /** what `src` may open towards `dst` (canonical; empty = nothing) */
  services: Service[];
  ruleIds: string[];
  denyIds: string[];
  reason: string;
}

export const EMPTY_SNAPSHOT: PolicySnapshot = { groups: [], rules: [], denies: [], peerings: [] };

const matches = (labels: Labels, selector: Labels): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

export class PolicyView {
  private readonly groupsById = new Map<string, PolicyGroup>();
  private readonly groupsByVpc = new Map<string, PolicyGroup[]>();
  private readonly peers = new Map<string, Set<string>>();

  constructor(readonly snapshot: PolicySnapshot) {
    for (const g of snapshot.groups) {
      this.groupsById.set(g.id, g);
      this.groupsByVpc.set(g.vpcId, [...(this.groupsByVpc.get(g.vpcId) ?? []), g]);
    }
    for (const p of snapshot.peerings) {
      if (p.status !== "active") continue;
      for (const [a, b] of [
        [p.vpcA, p.vpcB],
        [p.vpcB, p.vpcA],
      ] as const)
        this.peers.set(a, new Set([...(this.peers.get(a) ?? []), b]));
    }
  }

  group(id: string): PolicyGroup | undefined {
    return this.groupsById.get(id);
  }

  isMember(g: PolicyGroup, i: PolicyInstance): boolean {
    if (g.orgId !== i.orgId || g.vpcId !== i.vpcId) return false;
    return g.memberIds.includes(i.id) || (g.matchLabels !== null && matches(i.labels, g.matchLabels));
  }

  groupsOf(i: PolicyInstance): PolicyGroup[] {
    return (this.groupsByVpc.get(i.vpcId) ?? []).filter((g) => this.isMember(g, i));
  }

  /** VPCs whose instances may be paired with this VPC's: itself and its active peerings. */
  reachableVpcs(vpcId: string): string[] {
    return [vpcId, ...(this.peers.get(vpcId) ?? [])];
  }

  peered(a: string, b: string): boolean {
    return a === b || (this.peers.get(a)?.has(b) ?? false);
  }

  private inGroup(groupId: string | null, i: PolicyInstance): boolean {
    const g = groupId === null ? undefined : this.groupsById.get(groupId);
    return g !== undefined && this.isMember(g, i);
  }

  /** Rules that let `src` open conversations to `dst` (directly, or as the reverse of a two-way rule). */
  private rulesFor(src: PolicyInstance, dst: PolicyInstance): PolicyRule[] {
    return this.snapshot.rules.filter((r) => {
      if (!r.enabled || r.orgId !== dst.orgId) return false;
      const forward =
        this.inGroup(r.dstGroupId, dst) &&
        (this.inGroup(r.srcGroupId, src) ||
          (r.srcVpcId !== null && r.srcVpcId === src.vpcId && src.vpcId !== dst.vpcId));
      const reverse = r.bidirectional && this.inGroup(r.srcGroupId, dst) && this.inGroup(r.dstGroupId, src);
      return forward || reverse;
    });
  }

  /** Deny entries (of either side's organization) that forbid `src` opening conversations to `dst`. */
  deniesFor(src: PolicyInstance, dst: PolicyInstance): PolicyDeny[] {
    return this.snapshot.denies.filter(
      (d) =>
        (d.orgId === src.orgId || d.orgId === dst.orgId) &&
        matches(src.labels, d.srcLabels) &&
        matches(dst.labels, d.dstLabels),
    );
  }

  /** What `src` may open towards `dst`, and why. Deny entries first, then the union of the allow rules; default deny. */
  decide(src: PolicyInstance, dst: PolicyInstance): Decision {
    if (src.id === dst.id) return { services: [], ruleIds: [], denyIds: [], reason: "the same instance" };
    if (!this.peered(src.vpcId, dst.vpcId)) {
      const how =
        src.orgId === dst.orgId ? "different VPCs that are not peered" : "different tenants whose VPCs are not peered";
      return { services: [], ruleIds: [], denyIds: [], reason: `${how}: no rule can allow it` };
    }
    const denies = this.deniesFor(src, dst);
    if (denies.length > 0) {
      return {
        services: [],
        ruleIds: [],
        denyIds: denies.map((d) => d.id),
        reason: `denied first by the organization's deny list: ${denies.map((d) => `"${d.description || d.id}"`).join(", ")}`,
      };
    }
    const rules = this.rulesFor(src, dst);
    const services = normalize(rules.map((r) => ({ protocol: r.protocol, ports: [...r.ports] })));
    if (rules.length === 0) {
      const names = (i: PolicyInstance) =>
        this.groupsOf(i)
          .map((g) => g.name)
          .join(", ") || "no group";
      return {
        services,
        ruleIds: [],
        denyIds: [],
        reason: `no rule allows ${src.name} (${names(src)}) → ${dst.name} (${names(dst)}): denied by default`,
      };
    }
    return {
      services,
      ruleIds: rules.map((r) => r.id),
      denyIds: [],
      reason: `allowed (${describeServices(services)}) by ${rules.map((r) => this.describeRule(r)).join("; ")}`,
    };
  }

  /** The answer for one packet: may `src` open this protocol/port towards `dst`? */
  explain(
    src: PolicyInstance,
    dst: PolicyInstance,
    probe: { protocol: PolicyProtocol; port: number | null },
  ): Decision & { allowed: boolean } {
    const d = this.decide(src, dst);
    if (probe.protocol === "any") return { ...d, allowed: d.services.length > 0 };
    const allowed = covers(d.services, { protocol: probe.protocol, port: probe.port });
    if (allowed || d.services.length === 0) {
      const ruleIds = allowed ? d.ruleIds.filter((id) => this.ruleCovers(id, probe)) : d.ruleIds;
      return {
        ...d,
        allowed,
        ruleIds,
        reason: allowed ? `allowed by ${ruleIds.map((id) => this.describeRule(this.rule(id)!)).join("; ")}` : d.reason,
      };
    }
    const what = probe.port === null ? probe.protocol : `${probe.protocol}/${probe.port}`;
    return {
      ...d,
      allowed: false,
      reason: `${src.name} → ${dst.name} may open only ${describeServices(d.services)}, not ${what}: denied by default`,
    };
  }

  private rule(id: string): PolicyRule | undefined {
    return this.snapshot.rules.find((r) => r.id === id);
  }

  private ruleCovers(id: string, probe: { protocol: PolicyProtocol; port: number | null }): boolean {
    const r = this.rule(id);
    if (!r || probe.protocol === "any") return r !== undefined;
    return covers(normalize([{ protocol: r.protocol, ports: [...r.ports] }]), {
      protocol: probe.protocol,
      port: probe.port,
    });
  }

  describeRule(r: PolicyRule): string {
    const src =
      r.srcGroupId !== null
        ? `group ${this.groupsById.get(r.srcGroupId)?.name ?? r.srcGroupId}`
        : `VPC ${r.srcVpcId ?? "?"}`;
    const dst = `group ${this.groupsById.get(r.dstGroupId)?.name ?? r.dstGroupId}`;
    const label = r.description ? ` "${r.description}"` : "";
    return `rule ${r.id}${label} (${src} ${r.bidirectional ? "↔" : "→"} ${dst}, ${describeServices(normalize([{ protocol: r.protocol, ports: [...r.ports] }]))})`;
  }

  /** The group × group matrix of one VPC: row = from, column = to. */
  matrix(vpcId: string, instances: readonly PolicyInstance[]): MatrixCell[] {
    const groups = this.groupsByVpc.get(vpcId) ?? [];
    const members = new Map(groups.map((g) => [g.id, instances.filter((i) => this.isMember(g, i))]));
    const cells: MatrixCell[] = [];
    for (const s of groups) {
      for (const d of groups) {
        const rules = this.snapshot.rules.filter(
          (r) =>
            r.enabled &&
            ((r.srcGroupId === s.id && r.dstGroupId === d.id) ||
              (r.bidirectional && r.srcGroupId === d.id && r.dstGroupId === s.id)),
        );
        const state = rules.some((r) => r.protocol === "any") ? "plugged" : rules.length > 0 ? "partial" : "unplugged";
        const deniedBy = this.snapshot.denies
          .filter(
            (x) =>
              x.orgId === s.orgId &&
              (members.get(s.id) ?? []).some((m) => matches(m.labels, x.srcLabels)) &&
              (members.get(d.id) ?? []).some((m) => matches(m.labels, x.dstLabels)),
          )
          .map((x) => x.id);
        cells.push({ srcGroupId: s.id, dstGroupId: d.id, state, ruleIds: rules.map((r) => r.id), deniedBy });
      }
    }
    return cells;
  }
}

export interface AccessDelta {
  from: PolicyInstance;
  to: PolicyInstance;
  before: Service[];
  after: Service[];
  change: "gains" | "loses" | "changes";
}

/**
 * Every ordered pair whose access differs between two policies (what a preview lists). Instances
 * are given as they were and as they will be (labels decide label-matched groups); an instance in
 * only one of the lists has no access on the other side.
 */
export function accessChanges(
  before: PolicyView,
  after: PolicyView,
  instancesBefore: readonly PolicyInstance[],
  instancesAfter: readonly PolicyInstance[] = instancesBefore,
): { changes: AccessDelta[]; pairsChecked: number } {
  const was = new Map(instancesBefore.map((i) => [i.id, i]));
  const now = new Map(instancesAfter.map((i) => [i.id, i]));
  const ids = [...new Set([...was.keys(), ...now.keys()])];
  const changes: AccessDelta[] = [];
  let pairsChecked = 0;
  const servicesIn = (view: PolicyView, from: PolicyInstance | undefined, to: PolicyInstance | undefined): Service[] =>
    from && to && view.peered(from.vpcId, to.vpcId) ? view.decide(from, to).services : [];
  for (const fromId of ids) {
    for (const toId of ids) {
      if (fromId === toId) continue;
      const [fb, tb, fa, ta] = [was.get(fromId), was.get(toId), now.get(fromId), now.get(toId)];
      const from = fa ?? fb!;
      const to = ta ?? tb!;
      if (!(before.peered(from.vpcId, to.vpcId) || after.peered(from.vpcId, to.vpcId))) continue;
      pairsChecked++;
      const b = servicesIn(before, fb, tb);
      const a = servicesIn(after, fa, ta);
      const change = changeOf(b, a);
      if (change) changes.push({ from, to, before: b, after: a, change });
    }
  }
  return { changes, pairsChecked };
}
