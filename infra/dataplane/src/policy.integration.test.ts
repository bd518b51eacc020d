/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- REST answers are JSON, checked by the assertions */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJourney, type Journey } from "./journey.ts";
import type { Stack, Tenant } from "./stack.ts";
import { pingOnce, startSink, startSource, stopAllTraffic, tcpProbe, wallNow, type Sink } from "./traffic.ts";

/**
 * Connectivity policy on real parts (REST → Postgres → BullMQ → the worker's TSC → two lab hosts'
 * VEBs), observed with real traffic between netns instances across datacenters: unplug cuts live
 * TCP streams and ping both ways and plug restores them; a port-restricted rule is stateful; a
 * tenant with the same CIDR on its own hosts is never reachable; every change is an operation
 * with one confirmed step per VEB, and the VEBs read back without drift. A seeded random sequence
 * of policy edits then compares what real probes see with what the policy says, pair by pair.
 */
let j: Journey;
let stack: Stack;
/** tenant A's instances by name: id, address, namespace */
const inst: Record<string, { id: string; address: string; ns: string }> = {};
const sinks: Sink[] = [];
const groups: Record<string, string> = {};
let vpcId: string;

async function launched(
  t: Tenant | Stack,
  name: string,
  subnetId: string,
  address?: string,
): Promise<{ id: string; address: string; ns: string }> {
  const r = await t.call("POST", "/instances", { name, subnetId, runtime: "netns", ...(address ? { address } : {}) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const op = await finishedFor(t, r.body.operationId);
  expect(op.status, op.error).toBe("succeeded");
  const i = {
    id: r.body.instance.id as string,
    address: r.body.instance.address as string,
    ns: `${j.lab.name}-n-${r.body.instance.id}`,
  };
  // every instance listens on 80 and 9000 (TCP and UDP) and tells its name to a TCP probe
  for (const port of [80, 9000]) sinks.push(await startSink(i.ns, port, name));
  return i;
}

/** An operation of tenant `t` (its own token: another tenant's operations are not found) to the end. */
const finishedFor = (t: Tenant | Stack, operationId: string, ms = 60_000): Promise<any> =>
  j.until(
    `operation ${operationId}`,
    async () => {
      const r = await t.call("GET", `/operations/${operationId}`);
      return ["succeeded", "failed"].includes(r.body?.status) ? r.body : undefined;
    },
    ms,
  );

/** A policy mutation through the API, then its policy.apply operation to the end. */
async function change(
  t: Tenant | Stack,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ answer: any; op: any }> {
  const r = await t.call(method, path, body);
  expect(r.status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(200);
  expect(r.body.applied).toBe(true);
  const op = await j.finished(r.body.operationId, 30_000);
  expect(op.status, `${op.error} ${j.stack.workerLog().slice(-3000)}`).toBe("succeeded");
  return { answer: r.body, op };
}

const unplug = (src: string, dst: string) =>
  change(stack, "POST", "/policy/unplug", { srcGroupId: groups[src], dstGroupId: groups[dst] });
const plug = (src: string, dst: string) =>
  change(stack, "POST", "/policy/plug", { srcGroupId: groups[src], dstGroupId: groups[dst] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  j = await startJourney({
    vpcCidr: "10.50.0.0/16",
    subnetCidrs: { dc1: "10.50.1.0/24", dc2: "10.50.2.0/24" },
    hostsPerDc: 2,
  });
  stack = j.stack;
  inst.web = await launched(stack, "web", j.subnets.dc1!);
  inst.db = await launched(stack, "db", j.subnets.dc2!);
  inst.c1 = await launched(stack, "c1", j.subnets.dc1!);
  inst.c2 = await launched(stack, "c2", j.subnets.dc2!, "10.50.2.88");
  const r = await stack.call("GET", "/groups");
  vpcId = r.body[0].vpcId;
  groups.default = r.body.find((g: any) => g.name === "default").id;
  for (const [name, tier] of [
    ["web", "web"],
    ["db", "db"],
  ] as const) {
    await change(stack, "PUT", `/instances/${inst[name]!.id}/labels`, { labels: { tier } });
    groups[name] = (await change(stack, "POST", "/groups", { vpcId, name, matchLabels: { tier } })).answer.targetId;
  }
}, 330_000);

afterAll(async () => {
  for (const s of sinks) s.stop();
  stopAllTraffic();
  await j?.close();
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

      // one step per VEB of this tenant, each with its barrier confirmation
      const vebSteps = op.steps.filter((s: any) => s.name.startsWith("VEB of "));
      expect(vebSteps).toHaveLength(2);
      for (const s of vebSteps)
        expect(s).toMatchObject({
          status: "done",
          detail: expect.stringMatching(/^confirmed after \d+(\.\d+)? ms \(barrier\); [1-9]\d* pair\(s\) revoked$/),
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

/** A policy mutation by tenant `t`, then its policy.apply operation (seen with `t`'s own token) to the end. */
async function changeAs(t: Tenant | Stack, method: string, path: string, body?: unknown): Promise<any> {
  const r = await t.call(method, path, body);
  expect(r.status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(200);
  const op = await finishedFor(t, r.body.operationId, 30_000);
  expect(op.status, `${op.error} ${j.stack.workerLog().slice(-3000)}`).toBe("succeeded");
  return r.body;
}

describe("another tenant with the same CIDR", () => {
  let b: Tenant;
  let bClouds: { cloudId: string }[];

  it("is never reachable, either way, while each tenant reaches its own instances", async () => {
    b = await stack.newTenant();
    const [h1, h2] = [j.spareHosts.find((h) => h.dc === 1)!, j.spareHosts.find((h) => h.dc === 2)!];
    const [c1, c2] = [await j.enroll(b, h1), await j.enroll(b, h2)];
    bClouds = [c1, c2];
    const vpc = await b.call("POST", "/vpcs", { name: "same-cidr", cidr: "10.50.0.0/16" });
    expect(vpc.status, JSON.stringify(vpc.body)).toBe(200);
    const sn1 = await b.call("POST", `/vpcs/${vpc.body.id}/subnets`, {
      name: "in-dc1",
      cidr: "10.50.1.0/24",
      cloudId: c1.cloudId,
    });
    const sn2 = await b.call("POST", `/vpcs/${vpc.body.id}/subnets`, {
      name: "in-dc2",
      cidr: "10.50.2.0/24",
      cloudId: c2.cloudId,
    });
    const b1 = await launched(b, "b1", sn1.body.id, inst.web!.address);
    const b2 = await launched(b, "b2", sn2.body.id, inst.db!.address);
    const bOnly = await launched(b, "b3", sn1.body.id, "10.50.1.77");
    const { web, db, c2: aOnly } = inst as Required<typeof inst>;
    // the same addresses answer, each tenant its own instance
    expect(await tcpProbe(web!.ns, db!.address, 9000)).toBe("echo:db");
    expect(await tcpProbe(b1.ns, b2.address, 9000)).toBe("echo:b2");
    expect(await tcpProbe(b2.ns, b1.address, 9000)).toBe("echo:b1");
    expect(await tcpProbe(db!.ns, web!.address, 9000)).toBe("echo:web");
    // an address only the other tenant holds: nothing answers, from either side, on any host
    for (const [from, to] of [
      [web!, bOnly],
      [db!, bOnly],
      [b1, aOnly!],
      [b2, aOnly!],
      [bOnly, aOnly!],
    ] as const) {
      expect(await pingOnce(from.ns, to.address), `${from.ns} → ${to.address}`).toBe(false);
      expect(await tcpProbe(from.ns, to.address, 9000), `${from.ns} → ${to.address}`).toBe("timeout");
    }
    // the other tenant's hosts are not in this tenant's operations or realization
    const { op } = await change(stack, "POST", "/policy/plug", { srcGroupId: groups.web, dstGroupId: groups.db });
    expect(op.steps.filter((s: any) => s.name.startsWith("VEB of "))).toHaveLength(2);
  });

  it("its host heartbeating this tenant's host identity is refused (409); this tenant's traffic is untouched and the other's launches go on", async () => {
    // issue 13: a hostile tenant's own enrolled host replays another organization's datapath id, addresses, MACs and block
    const spare = j.spareHosts.find((h) => h.dc === 1)!;
    const credential = (
      JSON.parse(await readFile(`${spare.ovsDir}/agent/state.json`, "utf8")) as { credential: string }
    ).credential;
    const victim = ((await stack.call("GET", "/hosts")).body as any[]).find((h) => h.id === j.hostIds.dc1);
    const forged = await fetch(`${stack.apiUrl}/api/v1/agent/heartbeat`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
      body: JSON.stringify({ facts: { ...victim.facts, ...victim.identity, hostname: "forged" } }),
    });
    expect(forged.status).toBe(409);
    await sleep(7_000); // more than one fabric refresh (5 s)
    const { web, db } = inst as Required<typeof inst>;
    expect(await tcpProbe(web!.ns, db!.address, 9000)).toBe("echo:db");
    expect(await tcpProbe(db!.ns, web!.address, 9000)).toBe("echo:web");
    // refused and audited on the claimant's side (its real agent's next heartbeat, with its own facts, clears the claim)
    const refused = (await b.call("GET", "/audit-events?action=host.identity.refused&limit=10")).body.events as any[];
    expect(JSON.stringify(refused)).toMatch(/the heartbeat changes approved facts \(datapath id /);
    const mine = ((await b.call("GET", "/hosts")).body as any[]).find((h) => h.cloudId === bClouds[0]!.cloudId);
    expect(mine.identity.datapathId).toBe(spare.datapathId);
    expect(((await stack.call("GET", "/hosts")).body as any[]).find((h) => h.id === j.hostIds.dc1).identity).toEqual(
      victim.identity,
    );
    // the other tenant keeps launching, on both hosts, and its instances reach each other
    const sn = ((await b.call("GET", "/vpcs")).body as any[])[0];
    const subnets = (await b.call("GET", `/vpcs/${sn.id}/subnets`)).body as any[];
    const [n1, n2] = [
      await launched(b, "b-after-1", subnets.find((x) => x.cloudId === bClouds[0]!.cloudId).id),
      await launched(b, "b-after-2", subnets.find((x) => x.cloudId === bClouds[1]!.cloudId).id),
    ];
    expect(await tcpProbe(n1.ns, n2.address, 9000)).toBe("echo:b-after-2");
  });

  it("peered across tenants (after the other side accepts), reachable only as the other side's rule says, and cut when the peering ends", async () => {
    const vpc2 = await b.call("POST", "/vpcs", { name: "peer-me", cidr: "10.60.0.0/16" });
    const sn = await b.call("POST", `/vpcs/${vpc2.body.id}/subnets`, {
      name: "in-dc2",
      cidr: "10.60.2.0/24",
      cloudId: bClouds[1]!.cloudId,
    });
    expect(sn.status, JSON.stringify(sn.body)).toBe(200);
    const p1 = await launched(b, "p1", sn.body.id);
    const { web } = inst as Required<typeof inst>;
    // A asks; until B says yes nothing passes, and a range overlapping A's is refused outright
    const asked = await changeAs(stack, "POST", "/peerings", { vpcId, peerVpcId: vpc2.body.id });
    expect((await b.call("GET", "/peerings")).body).toEqual([
      expect.objectContaining({ id: asked.targetId, status: "pending", side: "accepter" }),
    ]);
    expect(await tcpProbe(web!.ns, p1.address, 9000)).toBe("timeout");
    await changeAs(b, "POST", `/peerings/${asked.targetId}/accept`, {});
    // a peering allows nothing by itself: B's rule lets A's VPC open tcp/9000 to B's default group
    expect(await tcpProbe(web!.ns, p1.address, 9000)).toBe("timeout");
    const bDefault = ((await b.call("GET", `/groups?vpcId=${vpc2.body.id}`)).body as any[]).find(
      (g) => g.name === "default",
    ).id;
    const rule = await changeAs(b, "POST", "/rules", {
      srcVpcId: vpcId,
      dstGroupId: bDefault,
      protocol: "tcp",
      ports: "9000",
      description: "A may call p1",
    });
    // every instance of A's VPC gains tcp/9000 towards p1, and B's preview shows A's side by address only
    expect(rule.changes).toHaveLength(Object.keys(inst).length);
    for (const c of rule.changes)
      expect(c).toMatchObject({
        from: { instanceId: "", name: `${c.from.address} (peer tenant)` },
        to: { name: "p1" },
        change: "gains",
      });
    expect(await tcpProbe(web!.ns, p1.address, 9000)).toBe("echo:p1"); // p1's replies pass: stateful
    expect(await tcpProbe(web!.ns, p1.address, 80)).toBe("timeout");
    expect(await pingOnce(web!.ns, p1.address)).toBe(false);
    expect(await tcpProbe(p1.ns, web!.address, 9000)).toBe("timeout"); // A wrote no rule towards p1's side
    const why = await stack.call("POST", `/instances/${web!.id}/policy-check`, {
      toAddress: p1.address,
      protocol: "tcp",
      port: 9000,
    });
    expect(why.body).toMatchObject({ allowed: true, to: { instanceId: null, name: `${p1.address} (peer tenant)` } });
    // either side may end it: the pair is revoked on both VEBs
    await changeAs(b, "DELETE", `/peerings/${asked.targetId}`);
    expect(await tcpProbe(web!.ns, p1.address, 9000)).toBe("timeout");
    expect((await b.call("GET", "/rules")).body.filter((r: any) => r.srcVpcId === vpcId)).toEqual([]);
  });
});

describe("every change is an operation the VEBs confirm", () => {
  it("one step per VEB with its confirmation time; realization reports both hosts without drift", async () => {
    const { op } = await unplug("web", "db");
    expect(op.steps[0]).toMatchObject({ status: "done" });
    const vebSteps = op.steps.filter((s: any) => s.name.startsWith("VEB of "));
    const hosts = (await stack.call("GET", "/hosts")).body as any[];
    expect(vebSteps.map((s: any) => s.name).sort()).toEqual(hosts.map((h) => `VEB of ${h.name}`).sort());
    for (const s of vebSteps) expect(s.detail).toMatch(/^confirmed after \d+(\.\d+)? ms \(barrier\)/);
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
      // an allowed probe that got no answer is asked once more, slower: on a loaded 2-CPU machine a
      // 1 s echo can be late. A probe that passed where policy denies is never asked again.
      for (const r of results) {
        const [s, d] = r.pair.split(" → ") as [string, string];
        if (r.expected.icmp && !r.observed.icmp) r.observed.icmp = await pingOnce(inst[s]!.ns, inst[d]!.address, 3000);
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
