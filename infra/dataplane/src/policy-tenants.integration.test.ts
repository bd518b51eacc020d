/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- REST answers are JSON, checked by the assertions */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Journey } from "./journey.ts";
import { sleep, startPolicyLab, type PolicyLab } from "./policy-lab.ts";
import type { Stack, Tenant } from "./stack.ts";
import { pingOnce, tcpProbe } from "./traffic.ts";

/**
 * Connectivity policy between tenants on real parts (REST → Postgres → BullMQ → the worker's TSC →
 * four lab hosts' VEBs): a second tenant with the same CIDR on its own hosts is never reachable
 * either way, its host replaying this tenant's host identity is refused, and a VPC of it peered
 * across tenants is reachable only once accepted and only as its rule says, until the peering ends.
 */
let p: PolicyLab;
let j: Journey;
let stack: Stack;
let inst: PolicyLab["inst"];
let groups: PolicyLab["groups"];
let vpcId: string;
const launched: PolicyLab["launched"] = (...args) => p.launched(...args);
const change: PolicyLab["change"] = (...args) => p.change(...args);
const changeAs: PolicyLab["changeAs"] = (...args) => p.changeAs(...args);

beforeAll(async () => {
  p = await startPolicyLab();
  ({ j, stack, inst, groups, vpcId } = p);
}, 330_000);

afterAll(async () => {
  await p?.close();
});

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
      // silence, or (on a loaded machine, when the ping's ARP had already failed) no neighbour at all
      expect(["timeout", "error:EHOSTUNREACH"], `${from.ns} → ${to.address}`).toContain(
        await tcpProbe(from.ns, to.address, 9000),
      );
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
