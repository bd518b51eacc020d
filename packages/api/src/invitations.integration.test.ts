import { describe, expect, it } from "vitest";
import { resolveUserActor } from "@nvi/core";
import { createCaller } from "./root.ts";
import { makeTenant, sessionContext, trpcCodeOf, type Tenant, tenantKit } from "./test-support/fixtures.ts";

const kit = tenantKit("ingrid");

const as = (t: Pick<Tenant, "userId" | "email">, orgId?: string) =>
  createCaller(sessionContext(kit.deps, t, new Headers(orgId ? { cookie: `nvi_org=${orgId}` } : {})));

const codeOf = trpcCodeOf;

describe("invitations", () => {
  it("a link joins the organization once, with the invited role, and is audited", async () => {
    const { secret } = await as(kit.owner).invitation.create({ role: "admin", expiresInDays: 7 });
    const joiner = await makeTenant(kit.deps, "jules");
    expect(await as(joiner).invitation.accept({ secret })).toEqual({ orgId: kit.owner.orgId, role: "admin" });
    const actor = await resolveUserActor(kit.deps, {
      userId: joiner.userId,
      preferredOrgId: kit.owner.orgId,
      sourceIp: null,
    });
    expect(actor).toMatchObject({ orgId: kit.owner.orgId, role: "admin" });
    const again = await makeTenant(kit.deps, "kim");
    expect(await codeOf(as(again).invitation.accept({ secret }))).toBe("CONFLICT");
    const audit = await as(kit.owner).audit.list({ action: "member.joined", limit: 10 });
    expect(audit.events.map((e) => (e.after as { email: string }).email)).toContain(joiner.email);
  });

  it("an invitation bound to an email refuses anyone else", async () => {
    const { secret } = await as(kit.owner).invitation.create({
      role: "member",
      email: "someone.else@example.test",
      expiresInDays: 7,
    });
    const other = await makeTenant(kit.deps, "lee");
    expect(await codeOf(as(other).invitation.accept({ secret }))).toBe("FORBIDDEN");
    expect((await as(other).invitation.preview({ secret })).status).toBe("pending");
  });

  it("revoked and expired invitations cannot be used", async () => {
    const revoked = await as(kit.owner).invitation.create({ role: "viewer", expiresInDays: 1 });
    await as(kit.owner).invitation.revoke({ invitationId: revoked.invitation.id });
    const expired = await as(kit.owner).invitation.create({ role: "viewer", expiresInDays: 1 });
    await kit.deps.db.invitation.update({
      where: { id: expired.invitation.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const joiner = await makeTenant(kit.deps, "max");
    expect(await codeOf(as(joiner).invitation.accept({ secret: revoked.secret }))).toBe("CONFLICT");
    expect(await codeOf(as(joiner).invitation.accept({ secret: expired.secret }))).toBe("CONFLICT");
    expect(await kit.deps.db.membership.count({ where: { orgId: kit.owner.orgId, userId: joiner.userId } })).toBe(0);
  });

  it("nobody invites above their own role, and admins cannot touch owners", async () => {
    const admin = await makeTenant(kit.deps, "nia");
    const { secret } = await as(kit.owner).invitation.create({ role: "admin", expiresInDays: 1 });
    await as(admin).invitation.accept({ secret });
    const asAdmin = as(admin, kit.owner.orgId);
    expect(await codeOf(asAdmin.invitation.create({ role: "owner", expiresInDays: 1 }))).toBe("FORBIDDEN");
    const ownerMembership = (await asAdmin.member.list()).find((m) => m.userId === kit.owner.userId)!;
    expect(await codeOf(asAdmin.member.setRole({ membershipId: ownerMembership.id, role: "viewer" }))).toBe(
      "FORBIDDEN",
    );
    expect(await codeOf(asAdmin.member.remove({ membershipId: ownerMembership.id }))).toBe("FORBIDDEN");
  });
});
