import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCloud,
  createDeny,
  createGroup,
  createInvitation,
  createJoinToken,
  createRule,
  createSubnet,
  createVpc,
  enrollHost,
  launchInstance,
  redisOperationQueue,
  requestPeering,
  resolveUserActor,
  type CoreDeps,
} from "@nvi/core";
import { TRPCError } from "@trpc/server";
import { appRouter, createCaller } from "./root.ts";
import { handleRest, openApiDocument } from "./http.ts";
import {
  headerContext,
  hostFacts as kitHostFacts,
  makeTenant,
  sessionContext,
  testDeps,
  type Tenant,
} from "./test-support/fixtures.ts";

/**
 * Tenant B (a member of another organization) calls every procedure and every REST
 * route with tenant A's ids. Each must refuse (404) or answer only with B's own data.
 * A new procedure without a case here fails the "covers every procedure" test.
 */
let deps: CoreDeps;
let a: Tenant;
let b: Tenant;
let aMemberId: string;
let aInvitationId: string;
let aCloudId: string;
let aJoinTokenId: string;
let aHostId: string;
let aVpcId: string;
let aSubnetId: string;
let bCloudId: string;
let aInstanceId: string;
let aOperationId: string;
let aGroupId: string;
let aRuleId: string;
let aDenyId: string;
let aPeeringId: string;
let queue: ReturnType<typeof redisOperationQueue>;
const aSecrets: string[] = [];

beforeAll(async () => {
  deps = testDeps();
  a = await makeTenant(deps, "alice");
  b = await makeTenant(deps, "bob");
  const second = await makeTenant(deps, "carol");
  const aActor = await resolveUserActor(deps, { userId: a.userId, preferredOrgId: a.orgId, sourceIp: null });
  const inv = await createInvitation({ ...deps, actor: aActor }, { role: "member", expiresInDays: 7 });
  aInvitationId = inv.invitation.id;
  aSecrets.push(inv.secret, a.token);
  const cloud = await createCloud(
    { ...deps, actor: aActor },
    { name: "a-cloud", kind: "docker", region: "eu", datacenter: "fra1" },
  );
  aCloudId = cloud.id;
  const jt = await createJoinToken(
    { ...deps, actor: aActor },
    { cloudId: cloud.id, reusable: true, usageLimit: 5, expiresInHours: 1 },
    "http://x",
  );
  aJoinTokenId = jt.joinToken.id;
  const enrolled = await enrollHost(deps, { joinToken: jt.joinString, facts: hostFacts("a-host-1") }, null);
  aHostId = enrolled.hostId;
  aSecrets.push(jt.joinString.split("@")[0]!, enrolled.credential);
  const vpc = await createVpc({ ...deps, actor: aActor }, { name: "a-vpc", cidr: "10.99.0.0/16", allowOverlap: false });
  aVpcId = vpc.id;
  aSubnetId = (
    await createSubnet(
      { ...deps, actor: aActor },
      { vpcId: vpc.id, cloudId: cloud.id, name: "a-sn", cidr: "10.99.1.0/24" },
    )
  ).id;
  // a queue of its own (nothing consumes it): the launch only has to exist
  queue = redisOperationQueue(
    process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    `nvitest-iso-${Date.now().toString(36)}`,
  );
  const launched = await launchInstance({ ...deps, actor: aActor }, queue, {
    name: "a-inst",
    subnetId: aSubnetId,
    runtime: "netns",
    cpus: 1,
    memoryMiB: 64,
  });
  aInstanceId = launched.instance.id;
  aOperationId = launched.operationId;
  const aCtx = { ...deps, actor: aActor };
  aGroupId = (await createGroup(aCtx, queue, { vpcId: aVpcId, name: "a-web", matchLabels: { tier: "web" } })).targetId!;
  aRuleId = (
    await createRule(aCtx, queue, { srcGroupId: aGroupId, dstGroupId: aGroupId, protocol: "tcp", ports: "443" })
  ).targetId!;
  aDenyId = (
    await createDeny(aCtx, queue, {
      srcLabels: { env: "prod" },
      dstLabels: { env: "dev" },
      description: "a's guardrail",
    })
  ).targetId!;
  const aOther = await createVpc(aCtx, { name: "a-vpc-2", cidr: "10.97.0.0/16", allowOverlap: false });
  aPeeringId = (await requestPeering(aCtx, queue, { vpcId: aVpcId, peerVpcId: aOther.id })).targetId!;
  const bActor = await resolveUserActor(deps, { userId: b.userId, preferredOrgId: b.orgId, sourceIp: null });
  bCloudId = (
    await createCloud({ ...deps, actor: bActor }, { name: "b-cloud", kind: "vm", region: "us", datacenter: "iad1" })
  ).id;
  const m = await deps.db.membership.create({
    data: { id: deps.newId("membership"), orgId: a.orgId, userId: second.userId, role: "member" },
  });
  aMemberId = m.id;
});
afterAll(async () => {
  await queue?.close();
  await deps.db.$disconnect();
});

const hostFacts = (hostname: string) => kitHostFacts(hostname, { datacenter: null, agentVersion: "0.0.0" });

/** Nothing of A's may appear in anything B receives. */
function assertNoLeak(value: unknown) {
  const text = JSON.stringify(value ?? null);
  for (const needle of [
    a.orgId,
    a.email,
    a.tokenId,
    aMemberId,
    aInvitationId,
    aCloudId,
    aJoinTokenId,
    aHostId,
    aVpcId,
    aSubnetId,
    aInstanceId,
    aOperationId,
    aGroupId,
    aRuleId,
    aDenyId,
    aPeeringId,
    "a's guardrail",
    ...aSecrets,
  ]) {
    expect(text).not.toContain(needle);
  }
}

async function expectCode(p: Promise<unknown>, code: TRPCError["code"]) {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
}

type Case = (caller: ReturnType<typeof createCaller>, via: "session" | "token") => Promise<void>;
const cases: Record<string, Case> = {
  "me.get": async (c) => assertNoLeak(await c.me.get()),
  "org.list": async (c) => assertNoLeak(await c.org.list()),
  "org.get": async (c) => assertNoLeak(await c.org.get()),
  "org.rename": async (c) => {
    const before = await deps.db.organization.findUniqueOrThrow({ where: { id: a.orgId } });
    assertNoLeak(await c.org.rename({ name: "renamed by bob" }));
    expect((await deps.db.organization.findUniqueOrThrow({ where: { id: a.orgId } })).name).toBe(before.name);
  },
  "member.list": async (c) => assertNoLeak(await c.member.list()),
  "member.setRole": (c) => expectCode(c.member.setRole({ membershipId: aMemberId, role: "viewer" }), "NOT_FOUND"),
  "member.remove": (c) => expectCode(c.member.remove({ membershipId: aMemberId }), "NOT_FOUND"),
  "invitation.list": async (c) => assertNoLeak(await c.invitation.list()),
  // Tokens mint no credentials (FORBIDDEN); a session mints only in its own organization.
  "invitation.create": async (c, via) =>
    via === "token"
      ? expectCode(c.invitation.create({ role: "viewer", expiresInDays: 1 }), "FORBIDDEN")
      : assertNoLeak(await c.invitation.create({ role: "viewer", expiresInDays: 1 })),
  "invitation.revoke": (c) => expectCode(c.invitation.revoke({ invitationId: aInvitationId }), "NOT_FOUND"),
  "invitation.preview": (c) => expectCode(c.invitation.preview({ secret: "nvinv_" + "x".repeat(32) }), "NOT_FOUND"),
  // Tokens never accept invitations (a person does); a session with a made-up secret finds nothing.
  "invitation.accept": (c, via) =>
    expectCode(c.invitation.accept({ secret: "nvinv_" + "y".repeat(32) }), via === "token" ? "FORBIDDEN" : "NOT_FOUND"),
  "token.list": async (c) => assertNoLeak(await c.token.list()),
  "token.create": async (c, via) =>
    via === "token"
      ? expectCode(c.token.create({ name: "bob's", scopes: ["vpcs:read"], expiresInDays: 1 }), "FORBIDDEN")
      : assertNoLeak(await c.token.create({ name: "bob's", scopes: ["vpcs:read"], expiresInDays: 1 })),
  "token.revoke": (c) => expectCode(c.token.revoke({ tokenId: a.tokenId }), "NOT_FOUND"),
  "cloud.list": async (c) => assertNoLeak(await c.cloud.list()),
  "cloud.create": async (c) =>
    assertNoLeak(
      await c.cloud.create({
        name: `b-${Math.random().toString(36).slice(2, 8)}`,
        kind: "vm",
        region: "us",
        datacenter: "nyc1",
      }),
    ),
  "cloud.delete": (c) => expectCode(c.cloud.delete({ cloudId: aCloudId }), "NOT_FOUND"),
  "joinToken.list": (c) => expectCode(c.joinToken.list({ cloudId: aCloudId }), "NOT_FOUND"),
  "joinToken.create": (c) =>
    expectCode(
      c.joinToken.create({ cloudId: aCloudId, reusable: false, usageLimit: null, expiresInHours: 1 }),
      "NOT_FOUND",
    ),
  "joinToken.revoke": (c) => expectCode(c.joinToken.revoke({ joinTokenId: aJoinTokenId }), "NOT_FOUND"),
  "host.list": async (c) => {
    expect(await c.host.list({ cloudId: aCloudId })).toEqual([]);
    assertNoLeak(await c.host.list({}));
  },
  "host.remove": (c) => expectCode(c.host.remove({ hostId: aHostId }), "NOT_FOUND"),
  "host.rotateCredential": (c) => expectCode(c.host.rotateCredential({ hostId: aHostId }), "NOT_FOUND"),
  "host.approveIdentity": (c) => expectCode(c.host.approveIdentity({ hostId: aHostId }), "NOT_FOUND"),
  // Tenants' credentials are never host credentials, and a made-up join token enrolls nothing.
  "agent.enroll": (c) =>
    expectCode(c.agent.enroll({ joinToken: "nvj_" + "q".repeat(36), facts: hostFacts("b-host") }), "UNAUTHORIZED"),
  "agent.heartbeat": (c) => expectCode(c.agent.heartbeat({ facts: hostFacts("a-host-1") }), "UNAUTHORIZED"),
  "vpc.list": async (c) => assertNoLeak(await c.vpc.list()),
  // The same CIDR as A's VPC is B's own business: tenants may reuse addresses.
  "vpc.create": async (c) =>
    assertNoLeak(
      await c.vpc.create({
        name: `b-${Math.random().toString(36).slice(2, 8)}`,
        cidr: "10.99.0.0/16",
        allowOverlap: true,
      }),
    ),
  "vpc.delete": (c) => expectCode(c.vpc.delete({ vpcId: aVpcId }), "NOT_FOUND"),
  "subnet.list": (c) => expectCode(c.subnet.list({ vpcId: aVpcId }), "NOT_FOUND"),
  "subnet.create": async (c) => {
    await expectCode(
      c.subnet.create({ vpcId: aVpcId, cloudId: bCloudId, name: "x", cidr: "10.99.2.0/24" }),
      "NOT_FOUND",
    );
    const mine = await c.vpc.create({
      name: `b-${Math.random().toString(36).slice(2, 8)}`,
      cidr: "10.99.0.0/16",
      allowOverlap: true,
    });
    await expectCode(
      c.subnet.create({ vpcId: mine.id, cloudId: aCloudId, name: "x", cidr: "10.99.2.0/24" }),
      "NOT_FOUND",
    );
  },
  "subnet.delete": (c) => expectCode(c.subnet.delete({ subnetId: aSubnetId }), "NOT_FOUND"),
  "instance.list": async (c) => assertNoLeak(await c.instance.list({})),
  "instance.get": (c) => expectCode(c.instance.get({ instanceId: aInstanceId }), "NOT_FOUND"),
  "instance.launch": (c) =>
    expectCode(
      c.instance.launch({ name: "bobs", subnetId: aSubnetId, runtime: "netns", cpus: 1, memoryMiB: 64 }),
      "NOT_FOUND",
    ),
  "instance.terminate": (c) => expectCode(c.instance.terminate({ instanceId: aInstanceId }), "NOT_FOUND"),
  "reachability.trace": (c) =>
    expectCode(c.reachability.trace({ instanceId: aInstanceId, toAddress: "10.0.0.1" }), "NOT_FOUND"),
  "reachability.check": (c) =>
    expectCode(c.reachability.check({ instanceId: aInstanceId, toAddress: "10.0.0.1", protocol: "icmp" }), "NOT_FOUND"),
  "instance.stop": (c) => expectCode(c.instance.stop({ instanceId: aInstanceId }), "NOT_FOUND"),
  "instance.start": (c) => expectCode(c.instance.start({ instanceId: aInstanceId }), "NOT_FOUND"),
  "instance.restart": (c) =>
    expectCode(c.instance.restart({ instanceId: aInstanceId, idempotencyKey: "bob-restart-1" }), "NOT_FOUND"),
  "operation.list": async (c) => assertNoLeak(await c.operation.list({})),
  "operation.get": (c) => expectCode(c.operation.get({ operationId: aOperationId }), "NOT_FOUND"),
  "operation.retry": (c) => expectCode(c.operation.retry({ operationId: aOperationId }), "NOT_FOUND"),
  "operation.cancel": (c) => expectCode(c.operation.cancel({ operationId: aOperationId }), "NOT_FOUND"),
  // a tenant's token or session is never a host credential
  "agentCommand.poll": (c) => expectCode(c.agentCommand.poll({ inventory: [] }), "UNAUTHORIZED"),
  "agentCommand.result": (c) =>
    expectCode(c.agentCommand.result({ commandId: "hcmd_x", result: { ok: true } }), "UNAUTHORIZED"),
  "audit.list": async (c) => {
    assertNoLeak(await c.audit.list({ limit: 200 }));
    expect((await c.audit.list({ targetId: a.tokenId, limit: 50 })).events).toEqual([]);
  },
  "group.list": async (c) => {
    assertNoLeak(await c.group.list({}));
    expect(await c.group.list({ vpcId: aVpcId })).toEqual([]);
  },
  "group.create": (c) => expectCode(c.group.create({ vpcId: aVpcId, name: "bobs" }), "NOT_FOUND"),
  "group.update": (c) => expectCode(c.group.update({ groupId: aGroupId, name: "bobs" }), "NOT_FOUND"),
  "group.delete": (c) => expectCode(c.group.delete({ groupId: aGroupId }), "NOT_FOUND"),
  "rule.list": async (c) => assertNoLeak(await c.rule.list({})),
  "rule.create": (c) => expectCode(c.rule.create({ srcGroupId: aGroupId, dstGroupId: aGroupId }), "NOT_FOUND"),
  "rule.update": (c) => expectCode(c.rule.update({ ruleId: aRuleId, enabled: false }), "NOT_FOUND"),
  "rule.delete": (c) => expectCode(c.rule.delete({ ruleId: aRuleId }), "NOT_FOUND"),
  "deny.list": async (c) => assertNoLeak(await c.deny.list()),
  "deny.create": async (c) =>
    assertNoLeak(await c.deny.create({ srcLabels: { env: "b" }, dstLabels: {}, preview: true })),
  "deny.delete": (c) => expectCode(c.deny.delete({ denyId: aDenyId }), "NOT_FOUND"),
  "peering.list": async (c) => assertNoLeak(await c.peering.list()),
  // asking to peer with another tenant's VPC is allowed (it waits for their yes); whether their range
  // overlaps yours is not said before then (the same pending answer either way, preview included)
  "peering.request": async (c) => {
    const overlapping = await c.vpc.create({
      name: `b-${Math.random().toString(36).slice(2, 8)}`,
      cidr: "10.99.0.0/16",
      allowOverlap: true,
    });
    const apart = await c.vpc.create({
      name: `b-${Math.random().toString(36).slice(2, 8)}`,
      cidr: "10.31.0.0/16",
      allowOverlap: true,
    });
    const previews = [
      await c.peering.request({ vpcId: overlapping.id, peerVpcId: aVpcId, preview: true }),
      await c.peering.request({ vpcId: apart.id, peerVpcId: aVpcId, preview: true }),
    ];
    expect({ ...previews[0], targetId: null }).toEqual({ ...previews[1], targetId: null });
    assertNoLeak(previews.map((p) => ({ ...p, targetId: null })));
  },
  "peering.accept": (c) => expectCode(c.peering.accept({ peeringId: aPeeringId }), "NOT_FOUND"),
  "peering.reject": (c) => expectCode(c.peering.reject({ peeringId: aPeeringId }), "NOT_FOUND"),
  "peering.delete": (c) => expectCode(c.peering.delete({ peeringId: aPeeringId }), "NOT_FOUND"),
  "policy.matrix": (c) => expectCode(c.policy.matrix({ vpcId: aVpcId }), "NOT_FOUND"),
  "policy.plug": (c) => expectCode(c.policy.plug({ srcGroupId: aGroupId, dstGroupId: aGroupId }), "NOT_FOUND"),
  "policy.unplug": (c) => expectCode(c.policy.unplug({ srcGroupId: aGroupId, dstGroupId: aGroupId }), "NOT_FOUND"),
  "policy.explain": (c) =>
    expectCode(c.policy.explain({ instanceId: aInstanceId, toAddress: "10.99.1.2" }), "NOT_FOUND"),
  "policy.realization": async (c) => assertNoLeak(await c.policy.realization()),
  "policy.setLabels": (c) =>
    expectCode(c.policy.setLabels({ instanceId: aInstanceId, labels: { tier: "web" } }), "NOT_FOUND"),
};

describe("tenant isolation over tRPC", () => {
  it("covers every procedure", () => {
    expect(Object.keys(appRouter._def.procedures).sort()).toEqual(Object.keys(cases).sort());
  });

  for (const [path, run] of Object.entries(cases)) {
    it(`${path}: B's browser session cannot see or touch A's data`, async () => {
      await run(createCaller(sessionContext(deps, b, new Headers({ cookie: `nvi_org=${a.orgId}` }))), "session");
    });
    it(`${path}: B's API token cannot see or touch A's data`, async () => {
      await run(createCaller(headerContext(deps, new Headers({ authorization: `Bearer ${b.token}` }))), "token");
    });
  }

  it("A's data is still intact afterwards", async () => {
    expect(await deps.db.membership.findUnique({ where: { id: aMemberId } })).toMatchObject({ role: "member" });
    expect(await deps.db.apiToken.findUnique({ where: { id: a.tokenId } })).toMatchObject({ revokedAt: null });
    expect(await deps.db.invitation.findUnique({ where: { id: aInvitationId } })).toMatchObject({ revokedAt: null });
    expect(await deps.db.cloud.findUnique({ where: { id: aCloudId } })).not.toBeNull();
    expect(await deps.db.joinToken.findUnique({ where: { id: aJoinTokenId } })).toMatchObject({
      revokedAt: null,
      uses: 1,
    });
    expect(await deps.db.host.findUnique({ where: { id: aHostId } })).not.toBeNull();
    expect(await deps.db.hostCredential.findUnique({ where: { hostId: aHostId } })).toMatchObject({
      rotationRequestedAt: null,
      pendingHash: null,
    });
    expect(await deps.db.vpc.findUnique({ where: { id: aVpcId } })).not.toBeNull();
    expect(await deps.db.subnet.findUnique({ where: { id: aSubnetId } })).not.toBeNull();
    expect(await deps.db.instance.findUnique({ where: { id: aInstanceId } })).toMatchObject({ status: "pending" });
    expect(await deps.db.operation.count({ where: { targetId: aInstanceId } })).toBe(1); // B's stop/start/restart made none
    expect(await deps.db.operation.findUnique({ where: { id: aOperationId } })).toMatchObject({
      status: "queued",
      cancelledBy: null,
    }); // nor cancelled A's
    expect(await deps.db.group.findUnique({ where: { id: aGroupId } })).toMatchObject({ name: "a-web" });
    expect(await deps.db.policyRule.findUnique({ where: { id: aRuleId } })).toMatchObject({
      enabled: true,
      protocol: "tcp",
    });
    expect(await deps.db.denyRule.findUnique({ where: { id: aDenyId } })).not.toBeNull();
    expect(await deps.db.vpcPeering.findUnique({ where: { id: aPeeringId } })).toMatchObject({ status: "active" });
    expect(await deps.db.instance.findUnique({ where: { id: aInstanceId } })).toMatchObject({ labels: {} });
  });
});

describe("tenant isolation over REST", () => {
  const call = (method: string, path: string, body?: unknown) =>
    handleRest(
      new Request(`http://localhost/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${b.token}`, ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
      (req) => headerContext(deps, req.headers),
    );

  const routes: Record<string, () => Promise<void>> = {
    "GET /me": async () => assertNoLeak(await (await call("GET", "/me")).json()),
    "GET /organizations": async () => assertNoLeak(await (await call("GET", "/organizations")).json()),
    "GET /organization": async () => assertNoLeak(await (await call("GET", "/organization")).json()),
    "PATCH /organization": async () =>
      assertNoLeak(await (await call("PATCH", "/organization", { name: "bob org" })).json()),
    "GET /members": async () => assertNoLeak(await (await call("GET", "/members")).json()),
    "PATCH /members/{membershipId}": async () =>
      expect((await call("PATCH", `/members/${aMemberId}`, { role: "viewer" })).status).toBe(404),
    "DELETE /members/{membershipId}": async () =>
      expect((await call("DELETE", `/members/${aMemberId}`)).status).toBe(404),
    "GET /invitations": async () => assertNoLeak(await (await call("GET", "/invitations")).json()),
    "POST /invitations": async () => expect((await call("POST", "/invitations", { role: "viewer" })).status).toBe(403),
    "DELETE /invitations/{invitationId}": async () =>
      expect((await call("DELETE", `/invitations/${aInvitationId}`)).status).toBe(404),
    "GET /invitations/preview": async () =>
      expect((await call("GET", `/invitations/preview?secret=nvinv_${"z".repeat(32)}`)).status).toBe(404),
    "POST /invitations/accept": async () =>
      expect((await call("POST", "/invitations/accept", { secret: aSecrets[0] })).status).toBe(403),
    "GET /tokens": async () => assertNoLeak(await (await call("GET", "/tokens")).json()),
    "POST /tokens": async () =>
      expect((await call("POST", "/tokens", { name: "x", scopes: ["audit:read"] })).status).toBe(403),
    "DELETE /tokens/{tokenId}": async () => expect((await call("DELETE", `/tokens/${a.tokenId}`)).status).toBe(404),
    "GET /clouds": async () => assertNoLeak(await (await call("GET", "/clouds")).json()),
    "POST /clouds": async () =>
      assertNoLeak(
        await (
          await call("POST", "/clouds", {
            name: `r-${Math.random().toString(36).slice(2, 8)}`,
            kind: "baremetal",
            region: "eu",
            datacenter: "ams1",
          })
        ).json(),
      ),
    "DELETE /clouds/{cloudId}": async () => expect((await call("DELETE", `/clouds/${aCloudId}`)).status).toBe(404),
    "GET /clouds/{cloudId}/join-tokens": async () =>
      expect((await call("GET", `/clouds/${aCloudId}/join-tokens`)).status).toBe(404),
    "POST /clouds/{cloudId}/join-tokens": async () =>
      expect((await call("POST", `/clouds/${aCloudId}/join-tokens`, { reusable: false })).status).toBe(404),
    "DELETE /join-tokens/{joinTokenId}": async () =>
      expect((await call("DELETE", `/join-tokens/${aJoinTokenId}`)).status).toBe(404),
    "GET /hosts": async () => assertNoLeak(await (await call("GET", `/hosts?cloudId=${aCloudId}`)).json()),
    "DELETE /hosts/{hostId}": async () => expect((await call("DELETE", `/hosts/${aHostId}`)).status).toBe(404),
    "POST /hosts/{hostId}/rotate-credential": async () =>
      expect((await call("POST", `/hosts/${aHostId}/rotate-credential`, {})).status).toBe(404),
    "POST /hosts/{hostId}/approve-identity": async () =>
      expect((await call("POST", `/hosts/${aHostId}/approve-identity`, {})).status).toBe(404),
    "POST /agent/enroll": async () =>
      expect(
        (await call("POST", "/agent/enroll", { joinToken: "nvj_" + "r".repeat(36), facts: hostFacts("b") })).status,
      ).toBe(401),
    "POST /agent/heartbeat": async () =>
      expect((await call("POST", "/agent/heartbeat", { facts: hostFacts("a-host-1") })).status).toBe(401),
    "GET /vpcs": async () => assertNoLeak(await (await call("GET", "/vpcs")).json()),
    "POST /vpcs": async () =>
      assertNoLeak(
        await (
          await call("POST", "/vpcs", {
            name: `r-${Math.random().toString(36).slice(2, 8)}`,
            cidr: "10.99.0.0/16",
            allowOverlap: true,
          })
        ).json(),
      ),
    "DELETE /vpcs/{vpcId}": async () => expect((await call("DELETE", `/vpcs/${aVpcId}`)).status).toBe(404),
    "GET /vpcs/{vpcId}/subnets": async () => expect((await call("GET", `/vpcs/${aVpcId}/subnets`)).status).toBe(404),
    "POST /vpcs/{vpcId}/subnets": async () =>
      expect(
        (await call("POST", `/vpcs/${aVpcId}/subnets`, { cloudId: bCloudId, name: "x", cidr: "10.99.3.0/24" })).status,
      ).toBe(404),
    "DELETE /subnets/{subnetId}": async () => expect((await call("DELETE", `/subnets/${aSubnetId}`)).status).toBe(404),
    "GET /instances": async () => assertNoLeak(await (await call("GET", "/instances")).json()),
    "GET /instances/{instanceId}": async () =>
      expect((await call("GET", `/instances/${aInstanceId}`)).status).toBe(404),
    "POST /instances": async () =>
      expect((await call("POST", "/instances", { name: "bobs", subnetId: aSubnetId })).status).toBe(404),
    "DELETE /instances/{instanceId}": async () =>
      expect((await call("DELETE", `/instances/${aInstanceId}`)).status).toBe(404),
    "POST /instances/{instanceId}/reachability": async () =>
      expect((await call("POST", `/instances/${aInstanceId}/reachability`, { toAddress: "10.0.0.1" })).status).toBe(
        404,
      ),
    "POST /instances/{instanceId}/trace": async () =>
      expect((await call("POST", `/instances/${aInstanceId}/trace`, { toAddress: "10.0.0.1" })).status).toBe(404),
    "POST /instances/{instanceId}/stop": async () =>
      expect((await call("POST", `/instances/${aInstanceId}/stop`, {})).status).toBe(404),
    "POST /instances/{instanceId}/start": async () =>
      expect((await call("POST", `/instances/${aInstanceId}/start`, {})).status).toBe(404),
    "POST /instances/{instanceId}/restart": async () =>
      expect(
        (await call("POST", `/instances/${aInstanceId}/restart`, { idempotencyKey: "bob-restart-2" })).status,
      ).toBe(404),
    "GET /operations": async () => assertNoLeak(await (await call("GET", "/operations")).json()),
    "GET /operations/{operationId}": async () =>
      expect((await call("GET", `/operations/${aOperationId}`)).status).toBe(404),
    "POST /operations/{operationId}/retry": async () =>
      expect((await call("POST", `/operations/${aOperationId}/retry`, {})).status).toBe(404),
    "POST /operations/{operationId}/cancel": async () =>
      expect((await call("POST", `/operations/${aOperationId}/cancel`, {})).status).toBe(404),
    "POST /agent/commands": async () =>
      expect((await call("POST", "/agent/commands", { inventory: [] })).status).toBe(401),
    "POST /agent/commands/{commandId}/result": async () =>
      expect((await call("POST", "/agent/commands/hcmd_x/result", { result: { ok: true } })).status).toBe(401),
    "GET /audit-events": async () => assertNoLeak(await (await call("GET", "/audit-events?limit=200")).json()),
    "GET /groups": async () => assertNoLeak(await (await call("GET", "/groups")).json()),
    "POST /groups": async () =>
      expect((await call("POST", "/groups", { vpcId: aVpcId, name: "bobs" })).status).toBe(404),
    "PATCH /groups/{groupId}": async () =>
      expect((await call("PATCH", `/groups/${aGroupId}`, { name: "bobs" })).status).toBe(404),
    "DELETE /groups/{groupId}": async () => expect((await call("DELETE", `/groups/${aGroupId}`)).status).toBe(404),
    "GET /rules": async () => assertNoLeak(await (await call("GET", "/rules")).json()),
    "POST /rules": async () =>
      expect((await call("POST", "/rules", { srcGroupId: aGroupId, dstGroupId: aGroupId })).status).toBe(404),
    "PATCH /rules/{ruleId}": async () =>
      expect((await call("PATCH", `/rules/${aRuleId}`, { enabled: false })).status).toBe(404),
    "DELETE /rules/{ruleId}": async () =>
      expect((await call("DELETE", `/rules/${aRuleId}?preview=true`)).status).toBe(404),
    "GET /denies": async () => assertNoLeak(await (await call("GET", "/denies")).json()),
    "POST /denies": async () =>
      assertNoLeak(
        await (await call("POST", "/denies", { srcLabels: { env: "b" }, dstLabels: {}, preview: true })).json(),
      ),
    "DELETE /denies/{denyId}": async () => expect((await call("DELETE", `/denies/${aDenyId}`)).status).toBe(404),
    "GET /peerings": async () => assertNoLeak(await (await call("GET", "/peerings")).json()),
    "POST /peerings": async () =>
      expect((await call("POST", "/peerings", { vpcId: aVpcId, peerVpcId: aVpcId })).status).toBe(400),
    "POST /peerings/{peeringId}/accept": async () =>
      expect((await call("POST", `/peerings/${aPeeringId}/accept`, {})).status).toBe(404),
    "POST /peerings/{peeringId}/reject": async () =>
      expect((await call("POST", `/peerings/${aPeeringId}/reject`, {})).status).toBe(404),
    "DELETE /peerings/{peeringId}": async () =>
      expect((await call("DELETE", `/peerings/${aPeeringId}`)).status).toBe(404),
    "GET /vpcs/{vpcId}/matrix": async () => expect((await call("GET", `/vpcs/${aVpcId}/matrix`)).status).toBe(404),
    "POST /policy/plug": async () =>
      expect((await call("POST", "/policy/plug", { srcGroupId: aGroupId, dstGroupId: aGroupId })).status).toBe(404),
    "POST /policy/unplug": async () =>
      expect((await call("POST", "/policy/unplug", { srcGroupId: aGroupId, dstGroupId: aGroupId })).status).toBe(404),
    "POST /instances/{instanceId}/policy-check": async () =>
      expect((await call("POST", `/instances/${aInstanceId}/policy-check`, { toAddress: "10.99.1.2" })).status).toBe(
        404,
      ),
    "GET /policy/realization": async () => assertNoLeak(await (await call("GET", "/policy/realization")).json()),
    "PUT /instances/{instanceId}/labels": async () =>
      expect((await call("PUT", `/instances/${aInstanceId}/labels`, { labels: { a: "b" } })).status).toBe(404),
  };

  it("covers every route in the OpenAPI document", () => {
    const doc = openApiDocument("http://localhost");
    const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(Object.keys(routes).sort());
  });

  for (const [route, run] of Object.entries(routes)) it(`${route} refuses another tenant's ids`, run);
});
