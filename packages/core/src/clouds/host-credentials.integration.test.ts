import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { createCoreDeps, type Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { ensurePersonalOrganization, resolveUserActor } from "../orgs/organizations.ts";
import { createCloud } from "./clouds.ts";
import { rotateHostCredential } from "./host-credentials.ts";
import { authenticateHost, enrollHost, listHosts, recordHeartbeat } from "./hosts.ts";
import { createJoinToken } from "./join-tokens.ts";

/** Rotation against the real Postgres, through the same calls the agent's heartbeat and command poll make. */
let ctx: Ctx;
let other: Ctx;

const facts = (hostname: string) => ({ hostname, os: null, kernel: "6.1", cpus: 2, memoryMiB: 2048, ovsVersion: "3.1.0", fabricAddress: null, fabricPrefixLen: null, fabricMac: null, nextHopMac: null, datapathId: null, instanceBlock: null, datacenter: "dc1", runtimes: { docker: false, qemu: false, netns: true }, agentVersion: "0.1.0" });

async function person(tag: string): Promise<Ctx> {
  const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
  const email = `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const user = await deps.db.user.create({ data: { id: deps.newId("user"), email, name: tag } });
  const orgId = await ensurePersonalOrganization(deps, user, null);
  return { ...deps, actor: await resolveUserActor(deps, { userId: user.id, preferredOrgId: orgId, sourceIp: null }) };
}

async function enrolled(name: string) {
  const cloudId = (await createCloud(ctx, { name: `c-${name}`, kind: "baremetal", region: "eu", datacenter: "dc1" })).id;
  const jt = await createJoinToken(ctx, { cloudId, reusable: false, usageLimit: null, expiresInHours: 1 }, "http://console.test");
  return enrollHost(ctx, { joinToken: jt.joinString, facts: facts(name) }, null);
}

const codeOf = (p: Promise<unknown>): Promise<string> => p.then(() => "ok", (e: unknown) => (e instanceof DomainError ? e.code : String(e)));
/** What the agent does on each heartbeat. */
const heartbeat = async (credential: string) => recordHeartbeat(ctx, await authenticateHost(ctx, credential), facts("x"));

beforeAll(async () => {
  ctx = await person("rot");
  other = await person("rot-other");
});
afterAll(async () => {
  await ctx.db.$disconnect();
});

describe("host credential rotation", () => {
  it("the next heartbeat gets a new credential; the old one works until the new one is used, then never again", async () => {
    const host = await enrolled("rot-1");
    const old = host.credential;
    const issuedBefore = (await listHosts(ctx, {})).find((h) => h.id === host.hostId)?.credentialIssuedAt;
    expect((await heartbeat(old)).newCredential).toBeUndefined();
    const asked = await rotateHostCredential(ctx, { hostId: host.hostId });
    expect((await rotateHostCredential(ctx, { hostId: host.hostId })).rotationRequestedAt).toBe(asked.rotationRequestedAt); // asking twice: one rotation
    expect((await listHosts(ctx, {})).find((h) => h.id === host.hostId)).toMatchObject({ credentialRotationRequestedAt: asked.rotationRequestedAt });

    const lost = (await heartbeat(old)).newCredential; // an answer the agent never got
    expect(lost).toMatch(/^nvh_/);
    const delivered = (await heartbeat(old)).newCredential; // the old one still works: no lock-out
    expect(delivered).toMatch(/^nvh_/);
    expect(delivered).not.toBe(lost);
    expect(await codeOf(authenticateHost(ctx, lost!))).toBe("HOST_CREDENTIAL_INVALID");

    expect((await heartbeat(delivered!)).newCredential).toBeUndefined(); // the first use confirms it
    expect(await codeOf(authenticateHost(ctx, old))).toBe("HOST_CREDENTIAL_INVALID");
    expect((await authenticateHost(ctx, delivered!)).id).toBe(host.hostId);
    const after = (await listHosts(ctx, {})).find((h) => h.id === host.hostId);
    expect(after?.credentialRotationRequestedAt).toBeNull();
    expect(Date.parse(after?.credentialIssuedAt ?? "")).toBeGreaterThan(Date.parse(issuedBefore ?? ""));
    const audit = await ctx.db.auditEvent.findMany({ where: { targetId: host.hostId, action: { startsWith: "host.credential" } }, orderBy: { at: "asc" } });
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([
      ["host.credential.rotate", ctx.actor.email],
      ["host.credential.rotated", "agent on rot-1"],
    ]);
  });

  it("only an owner or admin of the host's organization rotates", async () => {
    const host = await enrolled("rot-2");
    expect(await codeOf(rotateHostCredential({ ...ctx, actor: { ...ctx.actor, role: "member" } }, { hostId: host.hostId }))).toBe("ROLE_TOO_LOW");
    expect(await codeOf(rotateHostCredential(other, { hostId: host.hostId }))).toBe("NOT_FOUND");
    expect((await heartbeat(host.credential)).newCredential).toBeUndefined();
  });
});
