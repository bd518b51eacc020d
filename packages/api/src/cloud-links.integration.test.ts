import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CloudLinkDto } from "@nvi/contracts";
import { createApiToken, resolveUserActor, type CoreDeps } from "@nvi/core";
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
  type Tenant,
} from "./test-support/fixtures.ts";

/**
 * Issue 15: the links between gateway clouds as the console sums them up (`cloud.links`, GET
 * /cloud-links) from real heartbeats carrying `gatewayLinks`, through the real API and Postgres.
 */
let deps: CoreDeps;
let owner: Tenant;
let stranger: Tenant;
let pub: (n: number) => string;

beforeAll(async () => {
  deps = testDeps();
  owner = await makeTenant(deps, "links");
  stranger = await makeTenant(deps, "links-other");
  pub = await freeGatewayAddresses(deps.db, "198.51");
});
afterAll(async () => {
  await deps.db.$disconnect();
});

const caller = (t: Tenant) => createCaller(sessionContext(deps, t));
const tag = () => Math.random().toString(36).slice(2, 8);

/** A gateway cloud with one enrolled host made its gateway at `address`: the host's id and credential. */
async function gatewayCloud(name: string, address: string | null) {
  const c = caller(owner);
  const cloudId = (
    await c.cloud.create({ name, kind: "baremetal", region: "eu", datacenter: name, interconnect: "gateway" })
  ).id;
  const { joinString } = await c.joinToken.create({ cloudId, reusable: false, usageLimit: null, expiresInHours: 1 });
  const hostname = `gw-${name}`;
  const enrolled = await json(
    await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: agentFacts(hostname) }),
  );
  if (address) {
    const set = await restAs(deps, owner.token)("POST", `/hosts/${enrolled.hostId}/gateway`, {
      publicAddress: address,
    });
    expect(set.status).toBe(200);
  }
  return { cloudId, name, hostname, hostId: enrolled.hostId as string, credential: enrolled.credential as string };
}

const beat = (gw: { hostname: string; credential: string }, gatewayLinks: unknown) =>
  agentCall(deps, "/agent/heartbeat", { facts: agentFacts(gw.hostname, { gatewayLinks }) }, gw.credential);

const link = (peerAddress: string, handshakeSecondsAgo: number | null, over: Record<string, unknown> = {}) => ({
  peerAddress,
  lastHandshakeAt:
    handshakeSecondsAgo === null ? null : new Date(Date.now() - handshakeSecondsAgo * 1000).toISOString(),
  rxBytes: 1000,
  txBytes: 2000,
  ...over,
});
const measured = (rttMs: number, pathMtu: number | null) => ({
  rttMs,
  pathMtu,
  tunnelMtu: 1500,
  measuredAt: new Date().toISOString(),
});

describe("links between gateway clouds", () => {
  it("encrypted with RTT and path MTU while both ends report a fresh handshake; down with the reason when one does not", async () => {
    const t = tag();
    const [a, b] = [await gatewayCloud(`a${t}`, pub(1)), await gatewayCloud(`b${t}`, pub(2))];
    expect((await beat(a, [link(pub(2), 10, measured(2, 1500))])).status).toBe(200);
    expect((await beat(b, [link(pub(1), 12, measured(4, 1500))])).status).toBe(200);
    const mine = (await caller(owner).cloud.links()).find(
      (l) => l.a.cloudId === a.cloudId && l.b.cloudId === b.cloudId,
    );
    expect(mine).toMatchObject({ state: "encrypted", reason: null, rttMs: 3, pathMtu: 1500, tunnelMtu: 1500 });
    expect(mine?.tunnels).toHaveLength(1);

    // b's handshake with a is five minutes old: down, saying whose and for how long
    expect((await beat(b, [link(pub(1), 300, measured(4, 1500))])).status).toBe(200);
    const down = (await json(await restAs(deps, owner.token)("GET", "/cloud-links"))) as CloudLinkDto[];
    const row = down.find((l) => l.a.cloudId === a.cloudId);
    expect(row).toMatchObject({
      state: "down",
      reason: `no WireGuard handshake from gw-b${t} to ${pub(1)} for 5 min`,
      rttMs: null,
      pathMtu: null,
    });

    // a's close watch gets no answer from b (its handshake still fresh): down at once, saying so
    expect((await beat(b, [link(pub(1), 12, measured(4, 1500))])).status).toBe(200);
    expect((await beat(a, [link(pub(2), 10, { ...measured(2, 1500), up: false })])).status).toBe(200);
    const cut = (await caller(owner).cloud.links()).find((l) => l.a.cloudId === a.cloudId);
    expect(cut).toMatchObject({
      state: "down",
      reason: `gw-a${t} gets no answer through the tunnel from ${pub(2)}`,
    });

    // another organization sees none of it
    const theirs = JSON.stringify(await caller(stranger).cloud.links());
    expect(theirs).not.toContain(a.cloudId);
    expect(theirs).not.toContain(`gw-a${t}`);
  });

  it("a cloud without a gateway host makes its links no-gateway, naming it", async () => {
    const t = tag();
    const [a, lone] = [await gatewayCloud(`c${t}`, pub(3)), await gatewayCloud(`d${t}`, null)];
    const row = (await caller(owner).cloud.links()).find(
      (l) => l.a.cloudId === a.cloudId && l.b.cloudId === lone.cloudId,
    );
    expect(row).toMatchObject({ state: "no-gateway", reason: `cloud d${t} has no gateway host`, tunnels: [] });
  });

  it("hostile measurements are refused (400 naming the field) and change nothing the console shows", async () => {
    const t = tag();
    const [a, b] = [await gatewayCloud(`e${t}`, pub(4)), await gatewayCloud(`f${t}`, pub(5))];
    expect((await beat(a, [link(pub(5), 5, measured(1, 1500))])).status).toBe(200);
    expect((await beat(b, [link(pub(4), 5, measured(1, 1500))])).status).toBe(200);
    const before = await deps.db.host.findUniqueOrThrow({ where: { id: a.hostId } });
    for (const bad of [
      [link(pub(5), 5, { rttMs: -1 })],
      [link(pub(5), 5, { rttMs: 1e9 })],
      [link(pub(5), 5, { pathMtu: 70_000 })],
      [link(pub(5), 5, { pathMtu: 10 })],
      [link(pub(5), 5, { pathMtu: 1500.5 })],
      [link(pub(5), 5, { tunnelMtu: -1500 })],
      [link(pub(5), 5, { measuredAt: "yesterday" })],
      [link(pub(5), 5, { rxBytes: 2 ** 60 })],
      [link(pub(5), 5, { loss: 0 })],
      [link(pub(5), 5), link(pub(5), 5)],
    ]) {
      const res = await beat(a, bad);
      const label = JSON.stringify(bad).slice(100, 160);
      expect([label, res.status]).toEqual([label, 400]);
      const body = await json(res);
      expect(body.data.domainCode).toBe("VALIDATION_FAILED");
      expect(body.message).not.toMatch(/\n\s+at /); // a clear error, never a stack trace
    }
    // too many links: the body limit or the schema's count refuses it, either way nothing is stored
    const many = Array.from({ length: 1001 }, (_, i) => link(`100.64.${Math.floor(i / 250)}.${(i % 250) + 1}`, 5));
    expect([400, 413]).toContain((await beat(a, many)).status);
    const after = await deps.db.host.findUniqueOrThrow({ where: { id: a.hostId } });
    expect(after.facts).toEqual(before.facts);
    const row = (await caller(owner).cloud.links()).find((l) => l.a.cloudId === a.cloudId);
    expect(row).toMatchObject({ state: "encrypted", rttMs: 1, pathMtu: 1500 });
  });

  it("an older agent's links (no measurements) still validate: encrypted, with no RTT or MTU to show", async () => {
    const t = tag();
    const [a, b] = [await gatewayCloud(`g${t}`, pub(6)), await gatewayCloud(`h${t}`, pub(7))];
    expect((await beat(a, [link(pub(7), 5)])).status).toBe(200);
    expect((await beat(b, [link(pub(6), 5)])).status).toBe(200);
    const row = (await caller(owner).cloud.links()).find((l) => l.a.cloudId === a.cloudId);
    expect(row).toMatchObject({ state: "encrypted", rttMs: null, pathMtu: null, tunnelMtu: null });
  });

  it("an owner declares a link trusted direct and back (REST and tRPC): mode and state follow, audited once per change; the row the worker reads", async () => {
    const t = tag();
    const [a, b] = [await gatewayCloud(`i${t}`, pub(8)), await gatewayCloud(`j${t}`, pub(9))];
    const put = (cloudId: string, peerCloudId: string, body: unknown, token = owner.token) =>
      restAs(deps, token)("PUT", `/clouds/${cloudId}/links/${peerCloudId}`, body);
    // named from b's side: the same link (a before b by name)
    const set = await put(b.cloudId, a.cloudId, { mode: "direct" });
    expect(set.status).toBe(200);
    expect(await json(set)).toMatchObject({
      a: { cloudId: a.cloudId },
      b: { cloudId: b.cloudId },
      mode: "direct",
      state: "direct",
      reason: null,
      rttMs: null,
    });
    const listed = (await caller(owner).cloud.links()).find((l) => l.a.cloudId === a.cloudId);
    expect(listed).toMatchObject({ mode: "direct", state: "direct" });
    // what the worker hands the TSC (apps/worker direct-links.ts reads exactly these rows)
    const [lo, hi] = [a.cloudId, b.cloudId].sort();
    expect(
      await deps.db.cloudLink.findUnique({ where: { cloudAId_cloudBId: { cloudAId: lo!, cloudBId: hi! } } }),
    ).toMatchObject({ mode: "direct", orgId: owner.orgId });
    const audit = await deps.db.auditEvent.findFirst({
      where: { orgId: owner.orgId, action: "cloud.link.set", targetId: b.cloudId },
    });
    expect(audit?.after).toEqual({ peerCloudId: a.cloudId, mode: "direct" });
    // the same again changes nothing and records nothing
    expect((await put(a.cloudId, b.cloudId, { mode: "direct" })).status).toBe(200);
    const audits = await deps.db.auditEvent.count({
      where: { orgId: owner.orgId, action: "cloud.link.set", targetId: { in: [a.cloudId, b.cloudId] } },
    });
    expect(audits).toBe(1);
    const back = await caller(owner).cloud.setLinkMode({
      cloudId: a.cloudId,
      peerCloudId: b.cloudId,
      mode: "encrypted",
    });
    expect(back).toMatchObject({ mode: "encrypted", state: "down" });
    // another organization sees none of it
    expect(JSON.stringify(await caller(stranger).cloud.links())).not.toContain(a.cloudId);
  });

  it("refuses a bad link clearly, naming the field, and changes nothing: itself, a routed cloud, a bad mode, another organization's cloud", async () => {
    const t = tag();
    const a = await gatewayCloud(`k${t}`, pub(10));
    const routed = await caller(owner).cloud.create({ name: `r${t}`, kind: "vm", region: "eu", datacenter: "x" });
    const theirs = await caller(stranger).cloud.create({
      name: `s${t}`,
      kind: "vm",
      region: "eu",
      datacenter: "x",
      interconnect: "gateway",
    });
    const put = (peer: string, body: unknown) =>
      restAs(deps, owner.token)("PUT", `/clouds/${a.cloudId}/links/${peer}`, body);
    const self = await put(a.cloudId, { mode: "direct" });
    expect(self.status).toBe(400);
    expect((await json(self)).data).toMatchObject({ domainCode: "SAME_CLOUD", field: "peerCloudId" });
    const viaRouted = await put(routed.id, { mode: "direct" });
    expect(viaRouted.status).toBe(409);
    expect((await json(viaRouted)).data).toMatchObject({ domainCode: "NOT_A_GATEWAY_CLOUD", field: "peerCloudId" });
    const bad = await put(routed.id, { mode: "plaintext" });
    expect(bad.status).toBe(400);
    const body = await json(bad);
    expect(body.data.domainCode).toBe("VALIDATION_FAILED");
    expect(JSON.stringify(body.data.field)).toContain("mode");
    expect(body.message).not.toMatch(/\n\s+at /);
    expect((await put(theirs.id, { mode: "direct" })).status).toBe(404);
    expect(await deps.db.cloudLink.count({ where: { OR: [{ cloudAId: a.cloudId }, { cloudBId: a.cloudId }] } })).toBe(
      0,
    );
  });

  it("only an owner or admin with clouds:write sets a link: a member's token and a read-only token are refused, nothing changes", async () => {
    const t = tag();
    const [a, b] = [await gatewayCloud(`m${t}`, pub(11)), await gatewayCloud(`n${t}`, pub(12))];
    /** a token of someone in the owner's organization with `role` and `scopes` */
    const tokenOf = async (role: "member" | "admin", scopes: ("clouds:read" | "clouds:write")[]) => {
      const who = await makeTenant(deps, `links-${role}-${t}`);
      await deps.db.membership.create({
        data: { id: deps.newId("membership"), orgId: owner.orgId, userId: who.userId, role },
      });
      const actor = await resolveUserActor(deps, { userId: who.userId, preferredOrgId: owner.orgId, sourceIp: null });
      return (await createApiToken({ ...deps, actor }, { name: role, scopes, expiresInDays: 1 })).secret;
    };
    const put = (token: string) =>
      restAs(deps, token)("PUT", `/clouds/${a.cloudId}/links/${b.cloudId}`, { mode: "direct" });
    const member = await put(await tokenOf("member", ["clouds:read", "clouds:write"]));
    expect(member.status).toBe(403);
    expect((await json(member)).data.domainCode).toBe("ROLE_TOO_LOW");
    const readOnly = await put(await tokenOf("admin", ["clouds:read"]));
    expect(readOnly.status).toBe(403);
    expect((await json(readOnly)).data.domainCode).toBe("MISSING_SCOPE");
    expect(await deps.db.cloudLink.count({ where: { OR: [{ cloudAId: a.cloudId }, { cloudBId: a.cloudId }] } })).toBe(
      0,
    );
    // an admin with clouds:write may
    expect((await put(await tokenOf("admin", ["clouds:read", "clouds:write"]))).status).toBe(200);
  });
});
