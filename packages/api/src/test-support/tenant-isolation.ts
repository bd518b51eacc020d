import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addSshKey,
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
import { TEST_SSH_KEYS } from "@nvi/core/test-support/ssh-keys";
import { TRPCError } from "@trpc/server";
import { createCaller } from "../root.ts";
import { handleRest } from "../http.ts";
import {
  headerContext,
  hostFacts as kitHostFacts,
  makeTenant,
  sessionContext,
  testDeps,
  type Tenant,
} from "./fixtures.ts";

/**
 * The world of the tenant-isolation suite (src/tenant-isolation/): tenant A with one of everything,
 * tenant B (a member of another organization) who calls every procedure and every REST route with
 * A's ids. Each must refuse (404) or answer only with B's own data.
 */
export interface IsolationWorld {
  deps: CoreDeps;
  a: Tenant;
  b: Tenant;
  aMemberId: string;
  aInvitationId: string;
  aCloudId: string;
  aJoinTokenId: string;
  aHostId: string;
  aVpcId: string;
  aSubnetId: string;
  bCloudId: string;
  aInstanceId: string;
  aOperationId: string;
  aGroupId: string;
  aRuleId: string;
  aDenyId: string;
  aPeeringId: string;
  aSshKeyId: string;
  queue: ReturnType<typeof redisOperationQueue>;
  aSecrets: string[];
}

/** One procedure's case: B calls it through `caller` (a browser session or an API token). */
export type Case = (
  caller: ReturnType<typeof createCaller>,
  w: IsolationWorld,
  via: "session" | "token",
) => Promise<void>;
/** A REST call authenticated with B's token. */
export type RestCall = (method: string, path: string, body?: unknown) => Promise<Response>;
/** One REST route's case. */
export type Route = (call: RestCall, w: IsolationWorld) => Promise<void>;
/** The procedures and REST routes of one domain. */
export interface IsolationCases {
  procedures: Record<string, Case>;
  routes: Record<string, Route>;
}

export const hostFacts = (hostname: string) => kitHostFacts(hostname, { datacenter: null, agentVersion: "0.0.0" });

async function buildWorld(deps: CoreDeps, onQueue: (q: IsolationWorld["queue"]) => void): Promise<IsolationWorld> {
  const aSecrets: string[] = [];
  const a = await makeTenant(deps, "alice");
  const b = await makeTenant(deps, "bob");
  const second = await makeTenant(deps, "carol");
  const aActor = await resolveUserActor(deps, { userId: a.userId, preferredOrgId: a.orgId, sourceIp: null });
  const inv = await createInvitation({ ...deps, actor: aActor }, { role: "member", expiresInDays: 7 });
  const aInvitationId = inv.invitation.id;
  aSecrets.push(inv.secret, a.token);
  const cloud = await createCloud(
    { ...deps, actor: aActor },
    { name: "a-cloud", kind: "docker", region: "eu", datacenter: "fra1" },
  );
  const aCloudId = cloud.id;
  const jt = await createJoinToken(
    { ...deps, actor: aActor },
    { cloudId: cloud.id, reusable: true, usageLimit: 5, expiresInHours: 1 },
    "http://x",
  );
  const aJoinTokenId = jt.joinToken.id;
  const enrolled = await enrollHost(deps, { joinToken: jt.joinString, facts: hostFacts("a-host-1") }, null);
  const aHostId = enrolled.hostId;
  aSecrets.push(jt.joinString.split("@")[0]!, enrolled.credential);
  const vpc = await createVpc({ ...deps, actor: aActor }, { name: "a-vpc", cidr: "10.99.0.0/16", allowOverlap: false });
  const aVpcId = vpc.id;
  const aSubnetId = (
    await createSubnet(
      { ...deps, actor: aActor },
      { vpcId: vpc.id, cloudId: cloud.id, name: "a-sn", cidr: "10.99.1.0/24" },
    )
  ).id;
  // a queue of its own (nothing consumes it): the launch only has to exist
  const queue = redisOperationQueue(
    process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    `nvitest-iso-${Date.now().toString(36)}`,
  );
  onQueue(queue);
  const launched = await launchInstance({ ...deps, actor: aActor }, queue, {
    name: "a-inst",
    subnetId: aSubnetId,
    runtime: "netns",
    cpus: 1,
    memoryMiB: 64,
  });
  const aInstanceId = launched.instance.id;
  const aOperationId = launched.operationId;
  const aCtx = { ...deps, actor: aActor };
  const aGroupId = (await createGroup(aCtx, queue, { vpcId: aVpcId, name: "a-web", matchLabels: { tier: "web" } }))
    .targetId!;
  const aRuleId = (
    await createRule(aCtx, queue, { srcGroupId: aGroupId, dstGroupId: aGroupId, protocol: "tcp", ports: "443" })
  ).targetId!;
  const aDenyId = (
    await createDeny(aCtx, queue, {
      srcLabels: { env: "prod" },
      dstLabels: { env: "dev" },
      description: "a's guardrail",
    })
  ).targetId!;
  const aOther = await createVpc(aCtx, { name: "a-vpc-2", cidr: "10.97.0.0/16", allowOverlap: false });
  const aPeeringId = (await requestPeering(aCtx, queue, { vpcId: aVpcId, peerVpcId: aOther.id })).targetId!;
  const aSshKeyId = (await addSshKey(aCtx, { name: "a-laptop", publicKey: TEST_SSH_KEYS.ed25519A.line })).id;
  aSecrets.push(TEST_SSH_KEYS.ed25519A.line.split(" ")[1]!, TEST_SSH_KEYS.ed25519A.fingerprint);
  const bActor = await resolveUserActor(deps, { userId: b.userId, preferredOrgId: b.orgId, sourceIp: null });
  const bCloudId = (
    await createCloud({ ...deps, actor: bActor }, { name: "b-cloud", kind: "vm", region: "us", datacenter: "iad1" })
  ).id;
  const m = await deps.db.membership.create({
    data: { id: deps.newId("membership"), orgId: a.orgId, userId: second.userId, role: "member" },
  });
  return {
    deps,
    a,
    b,
    aMemberId: m.id,
    aInvitationId,
    aCloudId,
    aJoinTokenId,
    aHostId,
    aVpcId,
    aSubnetId,
    bCloudId,
    aInstanceId,
    aOperationId,
    aGroupId,
    aRuleId,
    aDenyId,
    aPeeringId,
    aSshKeyId,
    queue,
    aSecrets,
  };
}

/** Nothing of A's may appear in anything B receives. */
export function assertNoLeak(w: IsolationWorld, value: unknown) {
  const text = JSON.stringify(value ?? null);
  for (const needle of [
    w.a.orgId,
    w.a.email,
    w.a.tokenId,
    w.aMemberId,
    w.aInvitationId,
    w.aCloudId,
    w.aJoinTokenId,
    w.aHostId,
    w.aVpcId,
    w.aSubnetId,
    w.aInstanceId,
    w.aOperationId,
    w.aGroupId,
    w.aRuleId,
    w.aDenyId,
    w.aPeeringId,
    w.aSshKeyId,
    "a's guardrail",
    ...w.aSecrets,
  ]) {
    expect(text).not.toContain(needle);
  }
}

export async function expectCode(p: Promise<unknown>, code: TRPCError["code"]) {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
}

async function expectAIntact({ deps, ...w }: IsolationWorld) {
  expect(await deps.db.membership.findUnique({ where: { id: w.aMemberId } })).toMatchObject({ role: "member" });
  expect(await deps.db.apiToken.findUnique({ where: { id: w.a.tokenId } })).toMatchObject({ revokedAt: null });
  expect(await deps.db.invitation.findUnique({ where: { id: w.aInvitationId } })).toMatchObject({ revokedAt: null });
  expect(await deps.db.cloud.findUnique({ where: { id: w.aCloudId } })).not.toBeNull();
  expect(await deps.db.joinToken.findUnique({ where: { id: w.aJoinTokenId } })).toMatchObject({
    revokedAt: null,
    uses: 1,
  });
  // never made a gateway by B (host.setGateway, cloud.addGateway)
  expect(await deps.db.host.findUnique({ where: { id: w.aHostId } })).toMatchObject({ gatewayPublicAddress: null });
  expect(await deps.db.hostCredential.findUnique({ where: { hostId: w.aHostId } })).toMatchObject({
    rotationRequestedAt: null,
    pendingHash: null,
  });
  expect(await deps.db.vpc.findUnique({ where: { id: w.aVpcId } })).not.toBeNull();
  expect(await deps.db.subnet.findUnique({ where: { id: w.aSubnetId } })).not.toBeNull();
  expect(await deps.db.instance.findUnique({ where: { id: w.aInstanceId } })).toMatchObject({ status: "pending" });
  expect(await deps.db.operation.count({ where: { targetId: w.aInstanceId } })).toBe(1); // B's stop/start/restart made none
  expect(await deps.db.operation.findUnique({ where: { id: w.aOperationId } })).toMatchObject({
    status: "queued",
    cancelledBy: null,
  }); // nor cancelled A's
  expect(await deps.db.group.findUnique({ where: { id: w.aGroupId } })).toMatchObject({ name: "a-web" });
  expect(await deps.db.policyRule.findUnique({ where: { id: w.aRuleId } })).toMatchObject({
    enabled: true,
    protocol: "tcp",
  });
  expect(await deps.db.denyRule.findUnique({ where: { id: w.aDenyId } })).not.toBeNull();
  expect(await deps.db.vpcPeering.findUnique({ where: { id: w.aPeeringId } })).toMatchObject({ status: "active" });
  expect(await deps.db.instance.findUnique({ where: { id: w.aInstanceId } })).toMatchObject({ labels: {} });
  expect(await deps.db.sshKey.findUnique({ where: { id: w.aSshKeyId } })).toMatchObject({ name: "a-laptop" });
}

/**
 * Registers one domain's isolation tests in the calling file, with a world of its own: every
 * procedure through B's browser session and B's API token, every REST route with B's token, and
 * a check that A's data is still intact afterwards.
 */
export function describeTenantIsolation({ procedures, routes }: IsolationCases) {
  let deps: CoreDeps | undefined;
  let queue: IsolationWorld["queue"] | undefined;
  let world: IsolationWorld | undefined;
  const w = () => {
    if (!world) throw new Error("the isolation world was not set up");
    return world;
  };
  beforeAll(async () => {
    deps = testDeps();
    world = await buildWorld(deps, (q) => (queue = q));
  });
  afterAll(async () => {
    await queue?.close();
    await deps?.db.$disconnect();
  });

  describe("tenant isolation over tRPC", () => {
    for (const [path, run] of Object.entries(procedures)) {
      it(`${path}: B's browser session cannot see or touch A's data`, async () => {
        const ctx = sessionContext(w().deps, w().b, new Headers({ cookie: `nvi_org=${w().a.orgId}` }));
        await run(createCaller(ctx), w(), "session");
      });
      it(`${path}: B's API token cannot see or touch A's data`, async () => {
        const ctx = headerContext(w().deps, new Headers({ authorization: `Bearer ${w().b.token}` }));
        await run(createCaller(ctx), w(), "token");
      });
    }

    it("A's data is still intact afterwards", () => expectAIntact(w()));
  });

  describe("tenant isolation over REST", () => {
    const call: RestCall = (method, path, body) =>
      handleRest(
        new Request(`http://localhost/api/v1${path}`, {
          method,
          headers: { authorization: `Bearer ${w().b.token}`, ...(body ? { "content-type": "application/json" } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }),
        (req) => headerContext(w().deps, req.headers),
      );

    for (const [route, run] of Object.entries(routes))
      it(`${route} refuses another tenant's ids`, () => run(call, w()));
  });
}
