import { beforeAll, afterAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { cloudWithHost, codeOf, hostFacts, person } from "../test-support/kit.ts";
import { rotateHostCredential } from "./host-credentials.ts";
import { authenticateHost, listHosts, recordHeartbeat } from "./hosts.ts";

/** Rotation against the real Postgres, through the same calls the agent's heartbeat and command poll make. */
let ctx: Ctx;
let other: Ctx;

const enrolled = (name: string) => cloudWithHost(ctx, { cloud: `c-${name}`, hostname: name });

/** What the agent does on each heartbeat. */
const heartbeat = async (credential: string) =>
  recordHeartbeat(ctx, await authenticateHost(ctx, credential), hostFacts("x"));

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
    expect((await rotateHostCredential(ctx, { hostId: host.hostId })).rotationRequestedAt).toBe(
      asked.rotationRequestedAt,
    ); // asking twice: one rotation
    expect((await listHosts(ctx, {})).find((h) => h.id === host.hostId)).toMatchObject({
      credentialRotationRequestedAt: asked.rotationRequestedAt,
    });

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
    const audit = await ctx.db.auditEvent.findMany({
      where: { targetId: host.hostId, action: { startsWith: "host.credential" } },
      orderBy: { at: "asc" },
    });
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([
      ["host.credential.rotate", ctx.actor.email],
      ["host.credential.rotated", "agent on rot-1"],
    ]);
  });

  it("only an owner or admin of the host's organization rotates", async () => {
    const host = await enrolled("rot-2");
    expect(
      await codeOf(rotateHostCredential({ ...ctx, actor: { ...ctx.actor, role: "member" } }, { hostId: host.hostId })),
    ).toBe("ROLE_TOO_LOW");
    expect(await codeOf(rotateHostCredential(other, { hostId: host.hostId }))).toBe("NOT_FOUND");
    expect((await heartbeat(host.credential)).newCredential).toBeUndefined();
  });
});
