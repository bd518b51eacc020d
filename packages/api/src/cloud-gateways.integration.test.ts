import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudGatewayDto, CloudLinkDto } from "@nvi/contracts";
import type { CoreDeps } from "@nvi/core";
import { freeGatewayAddresses } from "@nvi/core/test-support";
import { createCaller } from "./root.ts";
import {
  agentCall,
  agentFacts,
  json,
  makeTenant,
  restAs,
  sessionContext,
  testDeps,
  trpcCodeOf,
  type Tenant,
} from "./test-support/fixtures.ts";

/**
 * Issue 15, several gateways per cloud through the API (`cloud.gateways` / `cloud.addGateway` /
 * `cloud.removeGateway`, GET/POST/DELETE /clouds/{cloudId}/gateways), and the link summary saying
 * why two clouds whose gateways are all behind port-rewriting NAT never meet. Real API, Postgres.
 */
let deps: CoreDeps;
let owner: Tenant;
let stranger: Tenant;
let pub: (n: number) => string;

beforeAll(async () => {
  deps = testDeps();
  owner = await makeTenant(deps, "gws");
  stranger = await makeTenant(deps, "gws-other");
  pub = await freeGatewayAddresses(deps.db, "198.51");
});
afterAll(async () => {
  await deps.db.$disconnect();
});

const caller = (t: Tenant) => createCaller(sessionContext(deps, t));
const tag = () => Math.random().toString(36).slice(2, 8);

/** A cloud of `who` with `hosts` enrolled hosts (none a gateway yet). */
async function cloudWith(who: Tenant, name: string, hosts: number, interconnect: "gateway" | "routed" = "gateway") {
  const c = caller(who);
  const cloudId = (await c.cloud.create({ name, kind: "baremetal", region: "eu", datacenter: name, interconnect })).id;
  const { joinString } = await c.joinToken.create({ cloudId, reusable: true, usageLimit: null, expiresInHours: 1 });
  const enrolled: { hostId: string; hostname: string; credential: string }[] = [];
  for (let i = 1; i <= hosts; i++) {
    const hostname = `${name}-h${i}`;
    const res = await json(
      await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: agentFacts(hostname) }),
    );
    enrolled.push({ hostId: res.hostId as string, hostname, credential: res.credential as string });
  }
  return { cloudId, name, hosts: enrolled };
}

const beat = (h: { hostname: string; credential: string }, gatewayLinks: unknown) =>
  agentCall(deps, "/agent/heartbeat", { facts: agentFacts(h.hostname, { gatewayLinks }) }, h.credential);
const fresh = (peerAddress: string) => ({
  peerAddress,
  lastHandshakeAt: new Date(Date.now() - 5_000).toISOString(),
  rxBytes: 1,
  txBytes: 1,
});

describe("several gateways per cloud", () => {
  it("declares two gateways of a cloud (REST and tRPC), lists each with its health, removes one", async () => {
    const t = tag();
    const a = await cloudWith(owner, `a${t}`, 3);
    const b = await cloudWith(owner, `b${t}`, 1);
    const rest = restAs(deps, owner.token);
    const added = await rest("POST", `/clouds/${a.cloudId}/gateways`, {
      hostId: a.hosts[0]!.hostId,
      publicAddress: pub(1),
    });
    expect(added.status, JSON.stringify(await added.clone().json())).toBe(200);
    expect(await json(added)).toMatchObject({ name: `a${t}-h1`, publicAddress: pub(1), nat: "none", status: "online" });
    await caller(owner).cloud.addGateway({
      cloudId: a.cloudId,
      hostId: a.hosts[1]!.hostId,
      publicAddress: pub(2),
      nat: "one-to-one",
    });
    await caller(owner).cloud.addGateway({
      cloudId: b.cloudId,
      hostId: b.hosts[0]!.hostId,
      publicAddress: pub(3),
      nat: "none",
    });
    // h1 and b's gateway shake hands; h2 has not yet
    await beat(a.hosts[0]!, [fresh(pub(3))]);
    await beat(b.hosts[0]!, [fresh(pub(1))]);
    const listed = (await json(await rest("GET", `/clouds/${a.cloudId}/gateways`))) as CloudGatewayDto[];
    expect(listed.map((g) => [g.name, g.publicAddress, g.nat])).toEqual([
      [`a${t}-h1`, pub(1), "none"],
      [`a${t}-h2`, pub(2), "one-to-one"],
    ]);
    // each gateway's tunnels to b's gateway (the organization's other tests' gateway clouds are peers too)
    const toB = (g: CloudGatewayDto) => g.tunnels.filter((x) => x.peer.cloudName === `b${t}`);
    expect(toB(listed[0]!)).toEqual([
      {
        peer: { hostId: b.hosts[0]!.hostId, name: `b${t}-h1`, cloudName: `b${t}`, publicAddress: pub(3) },
        state: "encrypted",
        reason: null,
        rttMs: null,
      },
    ]);
    expect(toB(listed[1]!)).toMatchObject([{ state: "down" }]);
    expect(toB(listed[1]!)[0]!.reason).toContain(`a${t}-h2 reports no tunnel to b${t}-h1 (${pub(3)})`);
    // the link is encrypted through the healthy pair, and lists both tunnels
    const link = (await caller(owner).cloud.links()).find(
      (l) => l.a.cloudId === a.cloudId && l.b.cloudId === b.cloudId,
    );
    expect(link).toMatchObject({ state: "encrypted" });
    expect(link?.tunnels).toHaveLength(2);

    expect((await rest("DELETE", `/clouds/${a.cloudId}/gateways/${a.hosts[0]!.hostId}`)).status).toBe(200);
    const left = await caller(owner).cloud.gateways({ cloudId: a.cloudId });
    expect(left.map((g) => g.name)).toEqual([`a${t}-h2`]);
    expect(await deps.db.host.findUniqueOrThrow({ where: { id: a.hosts[0]!.hostId } })).toMatchObject({
      gatewayPublicAddress: null,
      gatewayNat: null,
    });
    // removing again is a no-op; the host stays in its cloud
    expect((await rest("DELETE", `/clouds/${a.cloudId}/gateways/${a.hosts[0]!.hostId}`)).status).toBe(200);
    expect((await caller(owner).host.list({ cloudId: a.cloudId })).length).toBe(3);
  });

  it("refuses, naming the field: a host of another cloud, a routed cloud, a private or taken address; nothing changes", async () => {
    const t = tag();
    const a = await cloudWith(owner, `c${t}`, 1);
    const b = await cloudWith(owner, `d${t}`, 1);
    const routed = await cloudWith(owner, `e${t}`, 1, "routed");
    const rest = restAs(deps, owner.token);
    const post = (cloudId: string, body: unknown) => rest("POST", `/clouds/${cloudId}/gateways`, body);
    const refused = async (res: Response): Promise<unknown[]> => {
      const body = (await json(res)) as { message: string; data?: { domainCode?: string; field?: string } };
      expect(body.message).not.toMatch(/\n\s+at /);
      return [res.status, body.data?.domainCode, body.data?.field];
    };
    // b's host is not a's: it cannot be a's gateway
    expect(await refused(await post(a.cloudId, { hostId: b.hosts[0]!.hostId, publicAddress: pub(10) }))).toEqual([
      400,
      "HOST_NOT_IN_CLOUD",
      "hostId",
    ]);
    expect(
      await refused(await post(routed.cloudId, { hostId: routed.hosts[0]!.hostId, publicAddress: pub(11) })),
    ).toEqual([409, "NOT_A_GATEWAY_CLOUD", "cloudId"]);
    const bad = await post(a.cloudId, { hostId: a.hosts[0]!.hostId, publicAddress: "10.1.2.3" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await json(bad))).toMatch(
      /publicAddress.*must be a public address \(10\.1\.2\.3 is in 10\.0\.0\.0\/8\)/,
    );
    expect((await post(a.cloudId, { hostId: a.hosts[0]!.hostId, publicAddress: pub(12), nat: "carrier" })).status).toBe(
      400,
    );
    await caller(owner).cloud.addGateway({
      cloudId: b.cloudId,
      hostId: b.hosts[0]!.hostId,
      publicAddress: pub(13),
      nat: "none",
    });
    expect(await refused(await post(a.cloudId, { hostId: a.hosts[0]!.hostId, publicAddress: pub(13) }))).toEqual([
      409,
      "GATEWAY_ADDRESS_TAKEN",
      "publicAddress",
    ]);
    expect(await caller(owner).cloud.gateways({ cloudId: a.cloudId })).toEqual([]);
    expect(await caller(owner).cloud.gateways({ cloudId: routed.cloudId })).toEqual([]);
  });

  it("a gateway declared again without a NAT keeps its NAT; a cloud's last gateway stays while a VPC spans the cloud", async () => {
    const t = tag();
    const a = await cloudWith(owner, `k${t}`, 2);
    const b = await cloudWith(owner, `l${t}`, 1);
    const rest = restAs(deps, owner.token);
    const [h1, h2] = a.hosts;
    const add = (cloudId: string, body: object) => rest("POST", `/clouds/${cloudId}/gateways`, body);
    expect((await add(a.cloudId, { hostId: h1!.hostId, publicAddress: pub(40), nat: "port-rewriting" })).status).toBe(
      200,
    );
    // a new address, no NAT given: the NAT stays as declared
    expect(await json(await add(a.cloudId, { hostId: h1!.hostId, publicAddress: pub(41) }))).toMatchObject({
      publicAddress: pub(41),
      nat: "port-rewriting",
    });
    expect((await add(b.cloudId, { hostId: b.hosts[0]!.hostId, publicAddress: pub(42) })).status).toBe(200);

    // a VPC with a subnet in each cloud: a's only gateway carries it
    const vpc = (await json(
      await rest("POST", "/vpcs", { name: `span-${t}`, cidr: "10.88.0.0/16", allowOverlap: true }),
    )) as {
      id: string;
    };
    for (const [cloudId, cidr] of [
      [a.cloudId, "10.88.1.0/24"],
      [b.cloudId, "10.88.2.0/24"],
    ] as const)
      expect(
        (await rest("POST", `/vpcs/${vpc.id}/subnets`, { cloudId, name: `sn-${cidr.split(".")[2]}`, cidr })).status,
      ).toBe(200);
    const removal = await rest("DELETE", `/clouds/${a.cloudId}/gateways/${h1!.hostId}`);
    const body = (await json(removal)) as { message: string; data?: { domainCode?: string; field?: string } };
    expect([removal.status, body.data?.domainCode, body.data?.field]).toEqual([409, "LAST_GATEWAY", "hostId"]);
    expect(body.message).toContain(`VPC "span-${t}" spans that cloud`);
    expect(await trpcCodeOf(caller(owner).host.setGateway({ hostId: h1!.hostId, publicAddress: null }))).toBe(
      "CONFLICT",
    );
    expect((await caller(owner).cloud.gateways({ cloudId: a.cloudId })).map((g) => g.hostId)).toEqual([h1!.hostId]);

    // with a second gateway, the first may go
    expect((await add(a.cloudId, { hostId: h2!.hostId, publicAddress: pub(43) })).status).toBe(200);
    expect((await rest("DELETE", `/clouds/${a.cloudId}/gateways/${h1!.hostId}`)).status).toBe(200);
    expect((await caller(owner).cloud.gateways({ cloudId: a.cloudId })).map((g) => g.hostId)).toEqual([h2!.hostId]);
  });

  it("another organization cannot declare our host as its gateway, nor remove ours, nor list them", async () => {
    const t = tag();
    const ours = await cloudWith(owner, `f${t}`, 1);
    const theirs = await cloudWith(stranger, `g${t}`, 1);
    await caller(owner).cloud.addGateway({
      cloudId: ours.cloudId,
      hostId: ours.hosts[0]!.hostId,
      publicAddress: pub(20),
      nat: "none",
    });
    const them = caller(stranger);
    const host = ours.hosts[0]!.hostId;
    for (const cloudId of [theirs.cloudId, ours.cloudId]) {
      expect(
        await trpcCodeOf(them.cloud.addGateway({ cloudId, hostId: host, publicAddress: pub(21), nat: "none" })),
      ).toBe("NOT_FOUND");
      expect(await trpcCodeOf(them.cloud.removeGateway({ cloudId, hostId: host }))).toBe("NOT_FOUND");
    }
    expect(await trpcCodeOf(them.cloud.gateways({ cloudId: ours.cloudId }))).toBe("NOT_FOUND");
    expect(
      (
        await restAs(deps, stranger.token)("POST", `/clouds/${theirs.cloudId}/gateways`, {
          hostId: host,
          publicAddress: pub(22),
        })
      ).status,
    ).toBe(404);
    // ours is untouched; theirs has no gateway
    expect((await caller(owner).cloud.gateways({ cloudId: ours.cloudId })).map((g) => g.publicAddress)).toEqual([
      pub(20),
    ]);
    expect(await them.cloud.gateways({ cloudId: theirs.cloudId })).toEqual([]);
  });
});

describe("two clouds whose gateways are all behind port-rewriting NAT", () => {
  it("the link is down, saying why in words, until one gateway gets a 1:1 NAT", async () => {
    const t = tag();
    const a = await cloudWith(owner, `n${t}`, 1);
    const b = await cloudWith(owner, `o${t}`, 1);
    const c = caller(owner);
    for (const [cloud, n] of [
      [a, 30],
      [b, 31],
    ] as const)
      await c.cloud.addGateway({
        cloudId: cloud.cloudId,
        hostId: cloud.hosts[0]!.hostId,
        publicAddress: pub(n),
        nat: "port-rewriting",
      });
    // both gateways online, their tunnels configured, never a handshake
    await beat(a.hosts[0]!, [{ ...fresh(pub(31)), lastHandshakeAt: null }]);
    await beat(b.hosts[0]!, [{ ...fresh(pub(30)), lastHandshakeAt: null }]);
    const napt =
      "both gateways are behind port-rewriting NAT: neither can reach the other; give one of them a public address or a 1:1 NAT";
    const links = (await json(await restAs(deps, owner.token)("GET", "/cloud-links"))) as CloudLinkDto[];
    expect(links.find((l) => l.a.cloudId === a.cloudId && l.b.cloudId === b.cloudId)).toMatchObject({
      state: "down",
      reason: napt,
    });
    expect(
      (await c.cloud.gateways({ cloudId: a.cloudId }))[0]!.tunnels.find((x) => x.peer.cloudName === `o${t}`),
    ).toMatchObject({
      state: "down",
      reason: napt,
    });
    // b's gateway now sits behind a 1:1 NAT: reachable, so the reason is what the ends report again
    await c.cloud.addGateway({
      cloudId: b.cloudId,
      hostId: b.hosts[0]!.hostId,
      publicAddress: pub(31),
      nat: "one-to-one",
    });
    const row = (await c.cloud.links()).find((l) => l.a.cloudId === a.cloudId && l.b.cloudId === b.cloudId);
    expect(row?.state).toBe("down");
    expect(row?.reason).toMatch(/^no WireGuard handshake from n\w+-h1 to .* yet/);
  });
});
