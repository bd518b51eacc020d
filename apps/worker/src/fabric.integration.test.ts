import { authenticateHost, createCoreDeps, DomainError, recordHeartbeat } from "@nvi/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeGatewayAddresses } from "@nvi/core/test-support";
import { DbFabric } from "./fabric.ts";
import type { Tsc } from "@nvi/controller";
import {
  anotherHost,
  dpid,
  facts,
  running as kitRunning,
  tenantWithHost as kitTenantWithHost,
  type Identity,
  type TenantHost,
} from "./test-kit.ts";

/**
 * Issue 13, finding 2, against the real Postgres: two hosts claiming one datapath id with an
 * instance on the same port made `DbFabric.refresh()` throw for every tenant, and it kept throwing
 * after the claims went away. The refresh now uses only approved identities, skips and reports a
 * conflicting endpoint, prunes stale mappings, and keeps serving everyone else.
 */
const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
const warnings: string[] = [];
const logger = {
  info: () => undefined,
  warn: (msg: string, f?: Record<string, unknown>) => void warnings.push(`${msg} ${JSON.stringify(f)}`),
};

const tenantWithHost = (tag: string) => kitTenantWithHost(deps, tag);
const running = (t: TenantHost, name: string, ofport: number, octet: number) =>
  kitRunning(deps, t, name, ofport, octet);
const heartbeat = async (t: TenantHost, id: Partial<Identity>) =>
  recordHeartbeat(deps, await authenticateHost(deps, t.credential), facts(`h-${t.hostId}`, id));
const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
  );
const problemOf = async (hostId: string) =>
  (await deps.db.host.findUniqueOrThrow({ where: { id: hostId } })).fabricProblem;

let victim: TenantHost;
let attacker: TenantHost;
let bystander: TenantHost;

beforeAll(async () => {
  [victim, attacker, bystander] = await Promise.all([
    tenantWithHost("victim"),
    tenantWithHost("attacker"),
    tenantWithHost("bystander"),
  ]);
});
afterAll(async () => {
  await deps.db.$disconnect();
});

describe("DbFabric.refresh never wedges", () => {
  it("a host claiming another tenant's datapath id with an instance on the same port: the victim keeps its VEB, everyone else keeps working", async () => {
    const fabric = new DbFabric(deps, logger);
    const victimInst = await running(victim, "v1", 7, 10);
    const attackerInst = await running(attacker, "a1", 7, 10);
    const bystanderInst = await running(bystander, "b1", 5, 11);
    // the attack: the attacker's agent reports the victim's datapath id (and the rest of its identity)
    expect(await codeOf(heartbeat(attacker, victim.id))).toBe("HOST_IDENTITY_CONFLICT");
    expect(await codeOf(heartbeat(attacker, { datapathId: victim.id.datapathId }))).toBe("HOST_IDENTITY_CONFLICT");

    await fabric.refresh();
    expect(fabric.inventory.endpointAt(dpid(victim.id.datapathId), 7)?.id).toBe(victimInst);
    expect(fabric.inventory.endpoint(attackerInst)?.datapathId).toBe(dpid(attacker.id.datapathId));
    expect(fabric.inventory.host(dpid(victim.id.datapathId))).toMatchObject({
      fabricIp: victim.id.fabricAddress,
      instanceBlock: victim.id.instanceBlock,
    });
    expect(fabric.inventory.endpoint(bystanderInst)?.port).toBe(5);

    // another tenant's launch goes through while the claim is pending
    const launched = await running(bystander, "b2", 6, 12);
    await deps.db.instance.update({ where: { id: launched }, data: { status: "starting" } });
    await expect(
      fabric.dataPlane.plug({
        id: launched,
        orgId: bystander.ctx.actor.orgId,
        vpcId: bystander.vpcId,
        hostId: bystander.hostId,
        ofport: 6,
        mac: "02:aa:00:00:00:0c",
        address: "10.20.1.12",
        gateway: "10.20.1.1",
      }),
    ).resolves.toBe("");
    expect(fabric.inventory.endpoint(launched)?.datapathId).toBe(dpid(bystander.id.datapathId));

    // the claim goes away (the attacker's agent reports its own facts again): nothing stale is left
    expect(await codeOf(heartbeat(attacker, attacker.id))).toBe("ok");
    await fabric.refresh();
    expect(fabric.inventory.endpointAt(dpid(victim.id.datapathId), 7)?.id).toBe(victimInst);
    expect(fabric.inventory.endpoint(attackerInst)?.datapathId).toBe(dpid(attacker.id.datapathId));
  });

  it("two instances of one host claiming one port: the later one is skipped and shown on the host, the rest is served, and it recovers", async () => {
    const fabric = new DbFabric(deps, logger);
    const first = await running(victim, "p1", 9, 20);
    const second = await running(victim, "p2", 9, 21);
    const elsewhere = await running(bystander, "p3", 9, 20);
    await expect(fabric.refresh()).resolves.toBeUndefined();
    expect(fabric.inventory.endpointAt(dpid(victim.id.datapathId), 9)?.id).toBe(first);
    expect(fabric.inventory.endpoint(second)).toBeUndefined();
    expect(fabric.inventory.endpoint(elsewhere)?.port).toBe(9);
    expect(await problemOf(victim.hostId)).toMatch(/instance p2 not plugged: port 9 is already bound/);
    expect(await problemOf(bystander.hostId)).toBeNull();
    expect(warnings.join("\n")).toContain(victim.hostId);

    await deps.db.instance.update({ where: { id: second }, data: { ofport: 11 } });
    await fabric.refresh();
    expect(fabric.inventory.endpoint(second)?.port).toBe(11);
    expect(await problemOf(victim.hostId)).toBeNull();
  });

  it("hosts of routed clouds share one mapping cloud; a cloud joined through gateways is its own (issue 15)", async () => {
    const fabric = new DbFabric(deps, logger);
    const [routed, far] = await Promise.all([tenantWithHost("routed"), tenantWithHost("far")]);
    await deps.db.cloud.update({ where: { id: far.cloudId }, data: { interconnect: "gateway" } });
    await fabric.refresh();
    expect(fabric.inventory.host(dpid(routed.id.datapathId))?.cloud).toBe("routed");
    expect(fabric.inventory.host(dpid(far.id.datapathId))?.cloud).toBe(far.cloudId);
  });

  it("a gateway set through the console reaches the TSC: its tunnel port, only in a gateway cloud with an approved key (issue 15)", async () => {
    const fabric = new DbFabric(deps, logger);
    const [gw, keyless, routedGw] = await Promise.all([
      tenantWithHost("gw"),
      tenantWithHost("gw-keyless"),
      tenantWithHost("gw-routed"),
    ]);
    const pub = await freeGatewayAddresses(deps.db, "198.53");
    for (const [i, t] of [gw, keyless, routedGw].entries())
      await deps.db.host.update({ where: { id: t.hostId }, data: { gatewayPublicAddress: pub(i + 1) } });
    for (const t of [gw, keyless])
      await deps.db.cloud.update({ where: { id: t.cloudId }, data: { interconnect: "gateway" } });
    await deps.db.host.update({ where: { id: keyless.hostId }, data: { wireguardPublicKey: null } });
    await fabric.refresh();
    expect(fabric.inventory.host(dpid(gw.id.datapathId))).toMatchObject({
      cloud: gw.cloudId,
      // its organization: what its link reports may speak of (controller tunnel-health.ts)
      owner: gw.ctx.actor.orgId,
      gateway: { tunnelPort: 4000, tunnelMac: "02:4e:56:47:00:01", stackMac: "02:4e:56:47:00:02" },
    });
    expect(fabric.inventory.host(dpid(keyless.id.datapathId))?.gateway).toBeUndefined();
    expect(fabric.inventory.host(dpid(routedGw.id.datapathId))?.gateway).toBeUndefined();
    // no longer a gateway: the next refresh takes the tunnel port away
    await deps.db.host.update({ where: { id: gw.hostId }, data: { gatewayPublicAddress: null } });
    await fabric.refresh();
    expect(fabric.inventory.host(dpid(gw.id.datapathId))?.gateway).toBeUndefined();
  });

  it("trusted direct links declared in Postgres reach the mapping, only between gateway clouds of the declaring organization, and go when undeclared (issue 15)", async () => {
    const fabric = new DbFabric(deps, logger);
    const t = await tenantWithHost("direct");
    const orgId = t.ctx.actor.orgId;
    const cloud = (name: string) =>
      deps.db.cloud.create({
        data: {
          id: deps.newId("cloud"),
          orgId,
          name,
          kind: "vm",
          region: "eu",
          datacenter: name,
          interconnect: "gateway",
        },
      });
    const [x, y] = (await Promise.all([cloud(`dx-${orgId}`), cloud(`dy-${orgId}`)])).sort((p, q) =>
      p.id < q.id ? -1 : 1,
    );
    const key = { cloudAId_cloudBId: { cloudAId: x.id, cloudBId: y.id } };
    await deps.db.cloudLink.create({
      data: { orgId, cloudAId: x.id, cloudBId: y.id, mode: "direct", updatedBy: t.ctx.actor.userId },
    });
    await fabric.refresh();
    expect(fabric.inventory.directLink(y.id, x.id)).toBe(true);
    // a cloud no longer joined through gateways has no link to be direct
    await deps.db.cloud.update({ where: { id: y.id }, data: { interconnect: "routed" } });
    await fabric.refresh();
    expect(fabric.inventory.directLink(x.id, y.id)).toBe(false);
    await deps.db.cloud.update({ where: { id: y.id }, data: { interconnect: "gateway" } });
    await fabric.refresh();
    // a row naming another organization's cloud is not believed (the API never writes one)
    const stranger = await tenantWithHost("direct-stranger");
    const theirs = await deps.db.cloud.update({ where: { id: stranger.cloudId }, data: { interconnect: "gateway" } });
    const [lo, hi] = [x.id, theirs.id].sort();
    await deps.db.cloudLink.create({
      data: { orgId, cloudAId: lo!, cloudBId: hi!, mode: "direct", updatedBy: t.ctx.actor.userId },
    });
    await fabric.refresh();
    expect(fabric.inventory.directLink(x.id, theirs.id)).toBe(false);
    expect(fabric.inventory.directLink(x.id, y.id)).toBe(true);
    await deps.db.cloudLink.update({ where: key, data: { mode: "encrypted" } });
    await fabric.refresh();
    expect(fabric.inventory.directLink(x.id, y.id)).toBe(false);
  });

  it("a host that goes away is pruned: its datapath id, its endpoints, its mapping", async () => {
    const fabric = new DbFabric(deps, logger);
    const t = await tenantWithHost("leaving");
    const inst = await running(t, "l1", 4, 30);
    await fabric.refresh();
    expect(fabric.inventory.endpoint(inst)?.port).toBe(4);
    await deps.db.host.update({ where: { id: t.hostId }, data: { lastSeenAt: new Date(Date.now() - 10 * 60_000) } });
    await fabric.refresh();
    expect(fabric.inventory.host(dpid(t.id.datapathId))).toBeUndefined();
    expect(fabric.inventory.endpoint(inst)).toBeUndefined();
    // a new host later approved for a free datapath id is served at once, no leftover mapping in the way
    await deps.db.instance.deleteMany({ where: { hostId: t.hostId } });
    await deps.db.host.delete({ where: { id: t.hostId } });
    const next = await tenantWithHost("arriving");
    const nextInst = await running(next, "n1", 4, 31);
    await fabric.refresh();
    expect(fabric.inventory.endpoint(nextInst)?.datapathId).toBe(dpid(next.id.datapathId));
  });
});

describe("the VEBs a plug waits for (issue 18: succeeded only once every VEB involved confirmed)", () => {
  it("the instance's host's VEB and its VPC peers' hosts' VEBs, by name; another tenant's host is not involved", async () => {
    const fabric = new DbFabric(deps, logger);
    const t = await tenantWithHost("vebs-a");
    const peerHost = await anotherHost(deps, t, "vebs-b");
    const other = await tenantWithHost("vebs-c");
    await running(peerHost, "peer-1", 3, 40);
    await running(other, "other-1", 3, 41);
    await fabric.refresh();
    const connected = new Map<bigint, unknown>();
    fabric.attach({ switches: connected, sync: () => Promise.resolve() } as unknown as Tsc);
    const away = () => fabric.dataPlane.vebsAway!({ hostId: t.hostId, vpcId: t.vpcId });
    expect(await away()).toEqual(["h-vebs-a", "h-vebs-b"]);
    connected.set(dpid(t.id.datapathId), {});
    connected.set(dpid(other.id.datapathId), {});
    expect(await away()).toEqual(["h-vebs-b"]); // its own VEB is back; the peer's is what it still waits for
    connected.set(dpid(peerHost.id.datapathId), {});
    expect(await away()).toEqual([]);
  });

  it("a worker without a TSC has nothing to ask (null), and a host not on the fabric is named as away", async () => {
    const fabric = new DbFabric(deps, logger);
    const t = await tenantWithHost("vebs-d");
    expect(await fabric.dataPlane.vebsAway!({ hostId: t.hostId, vpcId: t.vpcId })).toBeNull();
    fabric.attach({ switches: new Map(), sync: () => Promise.resolve() } as unknown as Tsc);
    await deps.db.host.update({ where: { id: t.hostId }, data: { lastSeenAt: new Date(Date.now() - 10 * 60_000) } });
    expect(await fabric.dataPlane.vebsAway!({ hostId: t.hostId, vpcId: t.vpcId })).toEqual([
      expect.stringMatching(/not on the fabric/),
    ]);
  });
});
