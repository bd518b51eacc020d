import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveUserActor, type CoreDeps } from "@nvi/core";
import { createCaller } from "./root.ts";
import { makeTenant, sessionContext, testDeps, trpcCodeOf, type Tenant } from "./test-support/fixtures.ts";

let deps: CoreDeps;
let owner: Tenant;

beforeAll(async () => {
  deps = testDeps();
  owner = await makeTenant(deps, "ingrid");
});
afterAll(async () => {
  await deps.db.$disconnect();
});

const as = (t: Pick<Tenant, "userId" | "email">, orgId?: string) =>
  createCaller(sessionContext(deps, t, new Headers(orgId ? { cookie: `nvi_org=${orgId}` } : {})));

const codeOf = trpcCodeOf;

describe("invitations", () => {
  it("a link joins the organization once, with the invited role, and is audited", async () => {
    const { secret } = await as(owner).invitation.create({ role: "admin", expiresInDays: 7 });
    const joiner = await makeTenant(deps, "jules");
    expect(await as(joiner).invitation.accept({ secret })).toEqual({ orgId: owner.orgId, role: "admin" });
    const actor = await resolveUserActor(deps, { userId: joiner.userId, preferredOrgId: owner.orgId, sourceIp: null });
    expect(actor).toMatchObject({ orgId: owner.orgId, role: "admin" });
    const again = await makeTenant(deps, "kim");
    expect(await codeOf(as(again).invitation.accept({ secret }))).toBe("CONFLICT");
    const audit = await as(owner).audit.list({ action: "member.joined", limit: 10 });
    expect(audit.events.map((e) => (e.after as { email: string }).email)).toContain(joiner.email);
  });

  it("an invitation bound to an email refuses anyone else", async () => {
    const { secret } = await as(owner).invitation.create({
      role: "member",
      email: "someone.else@example.test",
      expiresInDays: 7,
    });
    const other = await makeTenant(deps, "lee");
    expect(await codeOf(as(other).invitation.accept({ secret }))).toBe("FORBIDDEN");
    expect((await as(other).invitation.preview({ secret })).status).toBe("pending");
  });

  it("revoked and expired invitations cannot be used", async () => {
    const revoked = await as(owner).invitation.create({ role: "viewer", expiresInDays: 1 });
    await as(owner).invitation.revoke({ invitationId: revoked.invitation.id });
    const expired = await as(owner).invitation.create({ role: "viewer", expiresInDays: 1 });
    await deps.db.invitation.update({
      where: { id: expired.invitation.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const joiner = await makeTenant(deps, "max");
    expect(await codeOf(as(joiner).invitation.accept({ secret: revoked.secret }))).toBe("CONFLICT");
    expect(await codeOf(as(joiner).invitation.accept({ secret: expired.secret }))).toBe("CONFLICT");
    expect(await deps.db.membership.count({ where: { orgId: owner.orgId, userId: joiner.userId } })).toBe(0);
  });

  it("nobody invites above their own role, and admins cannot touch owners", async () => {
    const admin = await makeTenant(deps, "nia");
    const { secret } = await as(owner).invitation.create({ role: "admin", expiresInDays: 1 });
    await as(admin).invitation.accept({ secret });
    const asAdmin = as(admin, owner.orgId);
    expect(await codeOf(asAdmin.invitation.create({ role: "owner", expiresInDays: 1 }))).toBe("FORBIDDEN");
    const ownerMembership = (await asAdmin.member.list()).find((m) => m.userId === owner.userId)!;
    expect(await codeOf(asAdmin.member.setRole({ membershipId: ownerMembership.id, role: "viewer" }))).toBe(
      "FORBIDDEN",
    );
    expect(await codeOf(asAdmin.member.remove({ membershipId: ownerMembership.id }))).toBe("FORBIDDEN");
  });
});
