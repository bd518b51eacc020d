/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- REST answers are JSON, checked by the assertions */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Journey } from "./journey.ts";
import { sleep, startPolicyLab, type PolicyLab } from "./policy-lab.ts";
import type { Stack } from "./stack.ts";
import { pingOnce, startSink, startSource, tcpProbe, wallNow } from "./traffic.ts";

/**
 * Connectivity policy on real parts (REST → Postgres → BullMQ → the worker's TSC → two lab hosts'
 * VEBs), observed with real traffic between netns instances across datacenters: unplug cuts live
 * TCP streams and ping both ways and plug restores them; a port-restricted rule is stateful; every
 * change is an operation with one confirmed step per VEB, and the VEBs read back without drift. A
 * seeded random sequence of policy edits then compares what real probes see with what the policy
 * says, pair by pair. Another tenant (same CIDR, peering): `policy-tenants.integration.test.ts`.
 */
let p: PolicyLab;
let j: Journey;
let stack: Stack;
let inst: PolicyLab["inst"];
let groups: PolicyLab["groups"];
let vpcId: string;
const change: PolicyLab["change"] = (...args) => p.change(...args);
const unplug: PolicyLab["unplug"] = (...args) => p.unplug(...args);
const plug: PolicyLab["plug"] = (...args) => p.plug(...args);

beforeAll(async () => {
  p = await startPolicyLab();
  ({ j, stack, inst, groups, vpcId } = p);
}, 330_000);

afterAll(async () => {
  await p?.close();
});

describe("unplug and plug", () => {
  it("unplug cuts live TCP streams and ping in both directions across hosts; plug restores them", async () => {
    const { web, db } = inst as Required<typeof inst>;
    expect(await j.pingFrom(web!.id, db!.address)).toBe(true);
    const toDb = await startSink(db!.ns, 9100, "db");
    const toWeb = await startSink(web!.ns, 9100, "web");
    const streams = [
      await startSource(web!.ns, "stream", db!.address, 9100, 2),
      await startSource(db!.ns, "stream", web!.address, 9100, 2),
    ];
    try {
      await sleep(500);
      const before = [await toDb.stats(), await toWeb.stats()];
      await sleep(500);
      const flowing = [await toDb.stats(), await toWeb.stats()];
      expect(flowing[0]!.tcpBytes).toBeGreaterThan(before[0]!.tcpBytes);
      expect(flowing[1]!.tcpBytes).toBeGreaterThan(before[1]!.tcpBytes);

      const called = wallNow();
      const { op } = await unplug("default", "default");
      const confirmed = wallNow();
      await sleep(300);
      const after = [await toDb.stats(), await toWeb.stats()];
      await sleep(1500);
      const later = [await toDb.stats(), await toWeb.stats()];
      // nothing more arrived either way, and the last byte came before the operation confirmed (+ a packet in flight)
      expect(later.map((s) => s.tcpBytes)).toEqual(after.map((s) => s.tcpBytes));
      for (const s of later) expect(s.lastTcp).toBeLessThan(confirmed + 50);
      console.log(
        `unplug: operation ${(confirmed - called).toFixed(0)} ms after the call; last byte web→db ${(later[0]!.lastTcp - called).toFixed(0)} ms, db→web ${(later[1]!.lastTcp - called).toFixed(0)} ms after it`,
      );
      expect(await pingOnce(web!.ns, db!.address)).toBe(false);
      expect(await pingOnce(db!.ns, web!.address)).toBe(false);
      expect(await tcpProbe(web!.ns, db!.address, 9000)).toBe("timeout");

      // one step per VEB of this tenant, each confirmed by its barrier and then its host's agent: the
      // datapath's cached flows revalidated (a barrier alone leaves them forwarding for a while)
      const vebSteps = op.steps.filter((s: any) => s.name.startsWith("VEB of "));
      expect(vebSteps).toHaveLength(2);
      for (const s of vebSteps)
        expect(s).toMatchObject({
          status: "done",
          detail: expect.stringMatching(
            /^confirmed after [\d.]+ ms \(barrier after [\d.]+ ms; cached flows revalidated [\d.]+ ms after the barrier\); [1-9]\d* pair\(s\) revoked$/,
          ),
        });

      await plug("default", "default");
      expect(await j.pingFrom(web!.id, db!.address)).toBe(true);
      expect(await j.pingFrom(db!.id, web!.address)).toBe(true);
      expect(await tcpProbe(web!.ns, db!.address, 9000)).toBe("echo:db");
      expect(await tcpProbe(db!.ns, web!.address, 9000)).toBe("echo:web");
    } finally {
      for (const s of streams) s.stop();
      toDb.stop();
      toWeb.stop();
    }
  });
});

describe("a port-restricted rule", () => {
  it("web → db tcp/80 only: that connects (db's replies pass), nothing else does, db opens nothing", async () => {
    const { web, db } = inst as Required<typeof inst>;
    await unplug("default", "default");
    const { answer } = await change(stack, "POST", "/rules", {
      srcGroupId: groups.web,
      dstGroupId: groups.db,
      protocol: "tcp",
      ports: "80",
    });
    expect(await tcpProbe(web!.ns, db!.address, 80)).toBe("echo:db"); // the reply is db's sending on a connection web opened
    expect(await tcpProbe(web!.ns, db!.address, 9000)).toBe("timeout");
    expect(await pingOnce(web!.ns, db!.address)).toBe(false);
    expect(await tcpProbe(db!.ns, web!.address, 80)).toBe("timeout");
    expect(await tcpProbe(db!.ns, web!.address, 9000)).toBe("timeout");
    expect(await pingOnce(db!.ns, web!.address)).toBe(false);
    // and still after the pair's flows are in place both ways
    expect(await tcpProbe(web!.ns, db!.address, 80)).toBe("echo:db");
    await change(stack, "DELETE", `/rules/${answer.targetId}`);
    expect(await tcpProbe(web!.ns, db!.address, 80)).toBe("timeout");
    await plug("default", "default");
    expect(await tcpProbe(db!.ns, web!.address, 80)).toBe("echo:web");
  });
});

describe("every change is an operation the VEBs confirm", () => {
  it("one step per VEB with its confirmation time; realization reports both hosts without drift", async () => {
    const { op } = await unplug("web", "db");
    expect(op.steps[0]).toMatchObject({ status: "done" });
    const vebSteps = op.steps.filter((s: any) => s.name.startsWith("VEB of "));
    const hosts = (await stack.call("GET", "/hosts")).body as any[];
    expect(vebSteps.map((s: any) => s.name).sort()).toEqual(hosts.map((h) => `VEB of ${h.name}`).sort());
    for (const s of vebSteps)
      expect(s.detail).toMatch(
        /^confirmed after [\d.]+ ms \(barrier( after [\d.]+ ms; cached flows revalidated [\d.]+ ms after the barrier)?\)/,
      );
    await plug("default", "default");
    expect(await j.pingFrom(inst.web!.id, inst.db!.address)).toBe(true);
    const realized = await j.until("realization of both hosts", async () => {
      const r = await stack.call("GET", "/policy/realization");
      return r.body.length === 2 ? r.body : undefined;
    });
    expect(realized.map((x: any) => x.hostId).sort()).toEqual(Object.values(j.hostIds).sort());
    for (const x of realized) expect(x, JSON.stringify(x)).toMatchObject({ stale: 0, missing: 0 });
  });
});

/** mulberry32: a small seeded PRNG, so a failing sequence can be replayed with POLICY_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("property: what real probes see is what the policy says", () => {
  it("a seeded random sequence of plug / unplug / rule edits over 3 groups on 2 hosts", async () => {
    const seed = Number(process.env.POLICY_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const steps = Number(process.env.POLICY_STEPS ?? 10);
    console.log(`property: seed ${seed} (replay with POLICY_SEED=${seed}), ${steps} steps`);
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    // a: web (dc1); b: db (dc2); c: c1 (dc1) + c2 (dc2)
    const member = { web: "a", db: "b", c1: "c", c2: "c" } as const;
    for (const [name, grp] of Object.entries(member))
      await change(stack, "PUT", `/instances/${inst[name]!.id}/labels`, { labels: { grp } });
    for (const g of ["a", "b", "c"])
      groups[g] = (
        await change(stack, "POST", "/groups", { vpcId, name: `grp-${g}`, matchLabels: { grp: g } })
      ).answer.targetId;
    await unplug("default", "default");
    for (const r of (await stack.call("GET", `/rules?vpcId=${vpcId}`)).body as any[])
      await change(stack, "DELETE", `/rules/${r.id}`);

    const names = Object.keys(member);
    const G = ["a", "b", "c"] as const;
    for (let step = 1; step <= steps; step++) {
      const rules = (await stack.call("GET", `/rules?vpcId=${vpcId}`)).body as any[];
      const [x, y] = [pick(G), pick(G)];
      // the first step is always a tcp-port rule, so every sequence exercises the stateful path
      const kind =
        step === 1
          ? "tcp"
          : pick(
              rules.length > 0
                ? ["plug", "plug", "unplug", "tcp", "icmp", "toggle", "delete"]
                : ["plug", "plug", "tcp", "icmp"],
            );
      let what: string;
      if (kind === "plug" || kind === "unplug") {
        what = `${kind} ${x} → ${y}`;
        await (kind === "plug" ? plug : unplug)(x, y);
      } else if (kind === "tcp" || kind === "icmp") {
        const bidirectional = rnd() < 0.3;
        what = `rule ${x} → ${y} ${kind}${kind === "tcp" ? "/9000" : ""}${bidirectional ? " two-way" : ""}`;
        await change(stack, "POST", "/rules", {
          srcGroupId: groups[x],
          dstGroupId: groups[y],
          protocol: kind,
          ports: kind === "tcp" ? "9000" : [],
          bidirectional,
        });
      } else {
        const r = pick(rules);
        const label = `${Object.entries(groups).find(([, id]) => id === r.srcGroupId)?.[0]} → ${Object.entries(groups).find(([, id]) => id === r.dstGroupId)?.[0]} ${r.protocol}`;
        if (kind === "toggle") {
          what = `rule ${label} ${r.enabled ? "disabled" : "enabled"}`;
          await change(stack, "PATCH", `/rules/${r.id}`, { enabled: !r.enabled });
        } else {
          what = `rule ${label} deleted`;
          await change(stack, "DELETE", `/rules/${r.id}`);
        }
      }
      const pairs = names.flatMap((s) => names.filter((d) => d !== s).map((d) => [s, d] as const));
      const results = await Promise.all(
        pairs.map(async ([s, d]) => {
          const from = inst[s]!;
          const to = inst[d]!;
          const check = (body: Record<string, unknown>) =>
            stack.call("POST", `/instances/${from.id}/policy-check`, { toInstanceId: to.id, ...body });
          const [icmp, tcp] = [
            (await check({ protocol: "icmp" })).body.allowed as boolean,
            (await check({ protocol: "tcp", port: 9000 })).body.allowed as boolean,
          ];
          const [ping, probe] = await Promise.all([pingOnce(from.ns, to.address), tcpProbe(from.ns, to.address, 9000)]);
          const tcpSeen = probe === `echo:${d}` ? true : probe === "timeout" ? false : probe;
          return { pair: `${s} → ${d}`, expected: { icmp, tcp }, observed: { icmp: ping, tcp: tcpSeen } };
        }),
      );
      // an allowed probe that got no answer is asked again, slower: on a loaded 2-CPU machine a 1 s
      // echo can be late (the TCP probe has a SYN retransmit; the first ping has one echo). A probe
      // that passed where policy denies is never asked again. A ping still unanswered is asked a
      // last time with the VEBs' flows and conntrack dumped, so a failure says where it was lost.
      for (const r of results) {
        const [s, d] = r.pair.split(" → ") as [string, string];
        if (r.expected.icmp && !r.observed.icmp) {
          r.observed.icmp = await pingOnce(inst[s]!.ns, inst[d]!.address, 3000);
          console.log(`step ${step}: ${r.pair} ping asked again (3 s): ${r.observed.icmp ? "answered" : "no answer"}`);
        }
        if (r.expected.icmp && !r.observed.icmp) {
          const last = await j.pingFrom(inst[s]!.id, inst[d]!.address);
          if (last !== true) console.log(`step ${step}: ${r.pair} ping unanswered three times\n${last}`);
          r.observed.icmp = last === true;
        }
        if (r.expected.tcp && r.observed.tcp === false)
          r.observed.tcp = (await tcpProbe(inst[s]!.ns, inst[d]!.address, 9000, 4000)) === `echo:${d}`;
      }
      const wrong = results.filter((r) => r.expected.icmp !== r.observed.icmp || r.expected.tcp !== r.observed.tcp);
      const table = results
        .map(
          (r) =>
            `${r.pair}: ping ${r.observed.icmp ? "✓" : "·"} tcp/9000 ${r.observed.tcp === true ? "✓" : r.observed.tcp === false ? "·" : r.observed.tcp}`,
        )
        .join(", ");
      console.log(`step ${step}: ${what}\n  ${table}`);
      expect(
        wrong,
        `seed ${seed}, step ${step} (${what}): ${wrong.map((w) => `${w.pair} expected ${JSON.stringify(w.expected)} observed ${JSON.stringify(w.observed)}`).join("; ")}`,
      ).toEqual([]);
    }
  }, 600_000);
});
