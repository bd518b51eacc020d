import { PolicyView, type PolicyInstance, type PolicySnapshot } from "@nvi/policy";
import { describe, expect, it } from "vitest";
import { PolicyState, type OrgPolicy, type PolicySource } from "./policy-state.ts";

/**
 * The TSC's per-organization policy against the whole policy in one view (what the worker read
 * before): for random tenants, peerings, groups, rules and deny entries, and random changes
 * applied by reloading only the organization changed, every pair gets the same decision.
 */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

const ORGS = ["o0", "o1", "o2", "o3"];
const vpcsOf = (o: string) => [`${o}-v0`, `${o}-v1`];
const orgOfVpc = (v: string) => v.split("-")[0]!;
const TIERS = ["web", "db", "admin"];

interface World {
  snapshot: PolicySnapshot;
  instances: PolicyInstance[];
  versions: Map<string, number>;
}

function randomWorld(r: (n: number) => number): World {
  const instances: PolicyInstance[] = ORGS.flatMap((o) =>
    vpcsOf(o).flatMap((v) =>
      [0, 1, 2].map((k) => ({
        id: `${v}-i${k}`,
        orgId: o,
        vpcId: v,
        name: `${v}-i${k}`,
        address: `10.0.0.${k + 2}`,
        labels: { tier: TIERS[r(3)]! },
      })),
    ),
  );
  const w: World = {
    snapshot: { groups: [], rules: [], denies: [], peerings: [] },
    instances,
    versions: new Map(ORGS.map((o) => [o, 0])),
  };
  for (let k = 0; k < 3; k++) changeOf(w, r, ORGS[r(ORGS.length)]!);
  return w;
}

/** One random change of organization `o` (a rule, a group, a deny entry, a peering, labels); answers the organizations it names. */
function changeOf(w: World, r: (n: number) => number, o: string): string[] {
  const s = w.snapshot as {
    groups: PolicySnapshot["groups"][number][];
    rules: PolicySnapshot["rules"][number][];
    denies: PolicySnapshot["denies"][number][];
    peerings: PolicySnapshot["peerings"][number][];
  };
  const id = `${o}-${r(1e9)}`;
  const vpc = vpcsOf(o)[r(2)]!;
  const groups = s.groups.filter((g) => g.orgId === o);
  const touched = [o];
  switch (r(6)) {
    case 0:
      s.groups.push({
        id,
        orgId: o,
        vpcId: vpc,
        name: id,
        matchLabels: r(2) ? { tier: TIERS[r(3)]! } : {},
        memberIds: [],
      });
      break;
    case 1: {
      const [a, b] = [groups[r(groups.length)], groups[r(groups.length)]];
      if (a && b)
        s.rules.push({
          id,
          orgId: o,
          srcGroupId: r(4) ? a.id : null,
          srcVpcId: null,
          dstGroupId: b.id,
          protocol: r(2) ? "any" : "tcp",
          ports: [],
          bidirectional: r(2) === 0,
          enabled: r(5) > 0,
          description: "",
        });
      // a rule from a whole peered VPC
      const peer = s.peerings.find((p) => p.status === "active" && (orgOfVpc(p.vpcA) === o || orgOfVpc(p.vpcB) === o));
      if (peer && b) {
        const other = orgOfVpc(peer.vpcA) === o ? peer.vpcB : peer.vpcA;
        s.rules.push({
          ...s.rules.at(-1)!,
          id: `${id}x`,
          srcGroupId: null,
          srcVpcId: other,
          bidirectional: false,
          dstGroupId: b.id,
        });
      }
      break;
    }
    case 2:
      s.denies.push({
        id,
        orgId: o,
        srcLabels: { tier: TIERS[r(3)]! },
        dstLabels: { tier: TIERS[r(3)]! },
        description: "",
      });
      break;
    case 3: {
      const other = ORGS[r(ORGS.length)]!;
      const vb = vpcsOf(other)[r(2)]!;
      if (vb !== vpc) s.peerings.push({ id, vpcA: vpc, vpcB: vb, status: r(3) ? "active" : "pending" });
      touched.push(other);
      break;
    }
    case 4: {
      // something of o removed: a rule, a deny entry or a peering
      const victim = r(3);
      const rule = s.rules.findIndex((x) => x.orgId === o);
      const deny = s.denies.findIndex((x) => x.orgId === o);
      if (victim === 0 && rule >= 0) s.rules.splice(rule, 1);
      else if (victim === 1 && deny >= 0) s.denies.splice(deny, 1);
      else if (victim === 2) {
        const k = s.peerings.findIndex((p) => orgOfVpc(p.vpcA) === o || orgOfVpc(p.vpcB) === o);
        if (k >= 0) {
          touched.push(orgOfVpc(s.peerings[k]!.vpcA), orgOfVpc(s.peerings[k]!.vpcB));
          s.peerings.splice(k, 1);
        }
      }
      break;
    }
    default: {
      const mine = w.instances.filter((i) => i.orgId === o);
      const i = mine[r(mine.length)]!;
      w.instances = w.instances.map((x) => (x.id === i.id ? { ...x, labels: { tier: TIERS[r(3)]! } } : x));
    }
  }
  for (const t of touched) w.versions.set(t, (w.versions.get(t) ?? 0) + 1);
  return [...new Set(touched)];
}

/** What `loadPolicy(db, [orgId])` reads, from the world: the organization, its active peers, every peering it is a side of. */
function sourceOf(w: World): PolicySource {
  return {
    load: (orgId) => {
      const peerings = w.snapshot.peerings.filter((p) => orgOfVpc(p.vpcA) === orgId || orgOfVpc(p.vpcB) === orgId);
      const orgs = new Set([
        orgId,
        ...peerings.filter((p) => p.status === "active").flatMap((p) => [orgOfVpc(p.vpcA), orgOfVpc(p.vpcB)]),
      ]);
      const p: OrgPolicy = {
        version: w.versions.get(orgId) ?? 0,
        orgIds: [...orgs],
        snapshot: {
          groups: w.snapshot.groups.filter((g) => orgs.has(g.orgId)),
          rules: w.snapshot.rules.filter((x) => orgs.has(x.orgId)),
          denies: w.snapshot.denies.filter((x) => orgs.has(x.orgId)),
          peerings,
        },
        instances: w.instances.filter((i) => orgs.has(i.orgId)),
      };
      return Promise.resolve(structuredClone(p));
    },
    versions: () => Promise.resolve(new Map(w.versions)),
  };
}

function expectSameDecisions(state: PolicyState, w: World, where: string): void {
  const whole = new PolicyView(w.snapshot);
  for (const src of w.instances)
    for (const dst of w.instances) {
      const want = whole.decide(src, dst);
      const s = state.instance(src.id)!;
      const d = state.instance(dst.id)!;
      const got = state.viewOf(d.orgId).decide(s, d);
      expect({ services: got.services, denyIds: got.denyIds }, `${where}: ${src.id} → ${dst.id}`).toEqual({
        services: want.services,
        denyIds: want.denyIds,
      });
    }
  for (const o of ORGS)
    for (const v of vpcsOf(o)) expect(state.reachableVpcs(v).sort()).toEqual(whole.reachableVpcs(v).sort());
}

describe("PolicyState (per-organization views, reloaded by change)", () => {
  it(
    "decides every pair as the whole policy does, after random changes reloading only the organizations they name",
    { timeout: 60_000 },
    async () => {
      for (let seed = 1; seed <= 40; seed++) {
        const r = rng(seed);
        const w = randomWorld(r);
        const state = new PolicyState(sourceOf(w));
        await state.loadAll();
        expectSameDecisions(state, w, `seed ${seed} loaded`);
        for (let step = 0; step < 10; step++) {
          const named = changeOf(w, r, ORGS[r(ORGS.length)]!);
          await state.reload(named);
          expectSameDecisions(state, w, `seed ${seed} step ${step}`);
        }
      }
    },
  );

  it("a read that started before a change never replaces the view read after it", async () => {
    const r = rng(7);
    const w = randomWorld(r);
    const source = sourceOf(w);
    let hold: (() => void) | undefined;
    const slow: PolicySource = {
      ...source,
      load: async (o) => {
        const p = await source.load(o);
        if (hold === undefined) await new Promise<void>((resolve) => (hold = resolve));
        return p;
      },
    };
    const state = new PolicyState(slow);
    const first = state.reload(["o0"]); // reads the old policy, then waits
    await new Promise((resolve) => setImmediate(resolve));
    w.instances = w.instances.map((i) => (i.orgId === "o0" ? { ...i, labels: { tier: "changed" } } : i));
    w.versions.set("o0", 99);
    await state.reload(["o0"]); // reads the new policy and installs it
    hold!();
    await first;
    expect(state.instance("o0-v0-i0")?.labels).toEqual({ tier: "changed" });
    expect(await state.sync()).not.toContain("o0");
  });

  it("the backstop reloads only organizations whose version moved or whose instance is new", async () => {
    const w = randomWorld(rng(3));
    const loads: string[] = [];
    const source = sourceOf(w);
    const state = new PolicyState({ ...source, load: (o) => (loads.push(o), source.load(o)) });
    await state.loadAll();
    loads.length = 0;
    expect(await state.sync()).toEqual([]);
    w.versions.set("o2", 50);
    expect(await state.sync([{ id: "new-one", orgId: "o1" }])).toEqual(["o2", "o1"]);
    expect(new Set(loads)).toEqual(new Set(["o2", "o1", ...loads.filter((o) => o !== "o1" && o !== "o2")]));
  });

  it("a backstop that comes while another runs shares it, and still reads the organization of its own new instance", async () => {
    const w = randomWorld(rng(5));
    const source = sourceOf(w);
    const loads: string[] = [];
    const state = new PolicyState({ ...source, load: (o) => (loads.push(o), source.load(o)) });
    await state.loadAll();
    loads.length = 0;
    w.versions.set("o3", 70);
    w.instances.push({ id: "fresh", orgId: "o0", vpcId: "o0-v0", name: "fresh", address: "10.0.0.9", labels: {} });
    const [first, second] = await Promise.all([state.sync(), state.sync([{ id: "fresh", orgId: "o0" }])]);
    expect(first).toEqual(["o3"]);
    expect(second.sort()).toEqual(["o0", "o3"]);
    expect(state.instance("fresh")?.orgId).toBe("o0");
  });
});
