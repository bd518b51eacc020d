import { describe, expect, it } from "vitest";
import { createJoinToken, enrollHost, resolveUserActor } from "@nvi/core";
import { createCaller } from "./root.ts";
import { MAX_BATCH_SIZE, handleRest, handleTrpc } from "./http.ts";
import {
  headerContext,
  hostFacts,
  makeTenant,
  sessionContext,
  trpcCodeOf,
  type Tenant,
  tenantKit,
} from "./test-support/fixtures.ts";

/** Regressions for the findings of the security review of 2026-11-26. */
const kit = tenantKit("rita");

const as = (t: Pick<Tenant, "userId" | "email">, orgId = kit.owner.orgId) =>
  createCaller(sessionContext(kit.deps, t, new Headers({ cookie: `nvi_org=${orgId}` })));
const codeOf = trpcCodeOf;

async function join(role: "owner" | "admin" | "member" | "viewer", label: string, orgOwner = kit.owner) {
  const t = await makeTenant(kit.deps, label);
  const { secret } = await as(orgOwner, orgOwner.orgId).invitation.create({ role, expiresInDays: 1 });
  await as(t, t.orgId).invitation.accept({ secret });
  return t;
}

describe("security review regressions", () => {
  it("two owners demoting each other at once leave one owner", async () => {
    for (let round = 0; round < 5; round++) {
      const first = await makeTenant(kit.deps, `o1r${round}`);
      const second = await join("owner", `o2r${round}`, first);
      const members = await as(first, first.orgId).member.list();
      const idOf = (t: Tenant) => members.find((m) => m.userId === t.userId)!.id;
      await Promise.all([
        codeOf(as(first, first.orgId).member.setRole({ membershipId: idOf(second), role: "admin" })),
        codeOf(as(second, first.orgId).member.setRole({ membershipId: idOf(first), role: "admin" })),
      ]);
      expect(await kit.deps.db.membership.count({ where: { orgId: first.orgId, role: "owner" } })).toBe(1);
    }
  });

  it("removing a member revokes the API tokens, join tokens and invitations they made", async () => {
    const mallory = await join("admin", "mallory");
    const asMallory = as(mallory);
    const token = await asMallory.token.create({ name: "m", scopes: ["clouds:write"], expiresInDays: 30 });
    const cloud = await as(kit.owner).cloud.create({
      name: `m-${Date.now()}`,
      kind: "vm",
      region: "eu",
      datacenter: "dc1",
    });
    const actor = await resolveUserActor(kit.deps, {
      userId: mallory.userId,
      preferredOrgId: kit.owner.orgId,
      sourceIp: null,
    });
    const jt = await createJoinToken(
      { ...kit.deps, actor },
      { cloudId: cloud.id, reusable: true, usageLimit: null, expiresInHours: 720 },
      "http://x",
    );
    const inv = await asMallory.invitation.create({ role: "member", expiresInDays: 30 });
    const membership = (await as(kit.owner).member.list()).find((m) => m.userId === mallory.userId)!;
    await as(kit.owner).member.remove({ membershipId: membership.id });
    expect((await kit.deps.db.apiToken.findUniqueOrThrow({ where: { id: token.token.id } })).revokedAt).not.toBeNull();
    await expect(enrollHost(kit.deps, { joinToken: jt.joinString, facts: hostFacts("evil") }, null)).rejects.toThrow(
      /revoked/,
    );
    expect(
      (await kit.deps.db.invitation.findUniqueOrThrow({ where: { id: inv.invitation.id } })).revokedAt,
    ).not.toBeNull();
  });

  it("an invitation is refused once its inviter can no longer grant its role", async () => {
    const admin = await join("admin", "ada");
    const { secret } = await as(admin).invitation.create({ role: "admin", expiresInDays: 1 });
    const membership = (await as(kit.owner).member.list()).find((m) => m.userId === admin.userId)!;
    await as(kit.owner).member.setRole({ membershipId: membership.id, role: "viewer" });
    const guest = await makeTenant(kit.deps, "gus");
    expect(await codeOf(as(guest, guest.orgId).invitation.accept({ secret }))).toBe("CONFLICT");
  });

  it("a mangled organization cookie selects nothing instead of failing", async () => {
    const res = await handleRest(
      new Request("http://localhost/api/v1/me", { headers: { authorization: `Bearer ${kit.owner.token}` } }),
      (req) => headerContext(kit.deps, req.headers),
    );
    expect(res.status).toBe(200);
    const me = await createCaller(
      sessionContext(kit.deps, kit.owner, new Headers({ cookie: "nvi_org=%E0%A4%A" })),
    ).me.get();
    expect(me.organization.id).toBe(kit.owner.orgId);
  });

  it(`a tRPC batch carries at most ${MAX_BATCH_SIZE} calls`, async () => {
    const call = (n: number) =>
      handleTrpc(
        new Request(
          `http://localhost/api/trpc/${Array.from({ length: n }, () => "me.get").join(",")}?batch=1&input={}`,
          { headers: { authorization: `Bearer ${kit.owner.token}` } },
        ),
        (req) => headerContext(kit.deps, req.headers),
      );
    expect((await call(MAX_BATCH_SIZE)).status).toBe(200);
    expect((await call(MAX_BATCH_SIZE + 1)).status).toBe(400);
  });
});
