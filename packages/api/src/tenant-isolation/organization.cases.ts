import { TEST_SSH_KEYS } from "@nvi/core/test-support/ssh-keys";
import { expect } from "vitest";
import { assertNoLeak, expectCode, type IsolationCases } from "../test-support/tenant-isolation.ts";

/** The organization itself: who I am, its members, invitations, API tokens and audit log. */
export const organizationCases: IsolationCases = {
  procedures: {
    "me.get": async (c, w) => assertNoLeak(w, await c.me.get()),
    "org.list": async (c, w) => assertNoLeak(w, await c.org.list()),
    "org.get": async (c, w) => assertNoLeak(w, await c.org.get()),
    "org.rename": async (c, w) => {
      const before = await w.deps.db.organization.findUniqueOrThrow({ where: { id: w.a.orgId } });
      assertNoLeak(w, await c.org.rename({ name: "renamed by bob" }));
      expect((await w.deps.db.organization.findUniqueOrThrow({ where: { id: w.a.orgId } })).name).toBe(before.name);
    },
    "member.list": async (c, w) => assertNoLeak(w, await c.member.list()),
    "member.setRole": (c, w) =>
      expectCode(c.member.setRole({ membershipId: w.aMemberId, role: "viewer" }), "NOT_FOUND"),
    "member.remove": (c, w) => expectCode(c.member.remove({ membershipId: w.aMemberId }), "NOT_FOUND"),
    "invitation.list": async (c, w) => assertNoLeak(w, await c.invitation.list()),
    // Tokens mint no credentials (FORBIDDEN); a session mints only in its own organization.
    "invitation.create": async (c, w, via) =>
      via === "token"
        ? expectCode(c.invitation.create({ role: "viewer", expiresInDays: 1 }), "FORBIDDEN")
        : assertNoLeak(w, await c.invitation.create({ role: "viewer", expiresInDays: 1 })),
    "invitation.revoke": (c, w) => expectCode(c.invitation.revoke({ invitationId: w.aInvitationId }), "NOT_FOUND"),
    "invitation.preview": (c) => expectCode(c.invitation.preview({ secret: "nvinv_" + "x".repeat(32) }), "NOT_FOUND"),
    // Tokens never accept invitations (a person does); a session with a made-up secret finds nothing.
    "invitation.accept": (c, _w, via) =>
      expectCode(
        c.invitation.accept({ secret: "nvinv_" + "y".repeat(32) }),
        via === "token" ? "FORBIDDEN" : "NOT_FOUND",
      ),
    "token.list": async (c, w) => assertNoLeak(w, await c.token.list()),
    "token.create": async (c, w, via) =>
      via === "token"
        ? expectCode(c.token.create({ name: "bob's", scopes: ["vpcs:read"], expiresInDays: 1 }), "FORBIDDEN")
        : assertNoLeak(w, await c.token.create({ name: "bob's", scopes: ["vpcs:read"], expiresInDays: 1 })),
    "token.revoke": (c, w) => expectCode(c.token.revoke({ tokenId: w.a.tokenId }), "NOT_FOUND"),
    // B keeps its own keys; A's is neither listed nor found
    "sshKey.list": async (c, w) => assertNoLeak(w, await c.sshKey.list()),
    "sshKey.add": async (c, w, via) => {
      const key = via === "token" ? TEST_SSH_KEYS.ed25519C : TEST_SSH_KEYS.ed25519B;
      assertNoLeak(w, await c.sshKey.add({ name: `bob-${via}`, publicKey: key.line }));
    },
    "sshKey.remove": (c, w) => expectCode(c.sshKey.remove({ sshKeyId: w.aSshKeyId }), "NOT_FOUND"),
    "audit.list": async (c, w) => {
      assertNoLeak(w, await c.audit.list({ limit: 200 }));
      expect((await c.audit.list({ targetId: w.a.tokenId, limit: 50 })).events).toEqual([]);
      expect((await c.audit.list({ search: w.aInstanceId, limit: 50 })).events).toEqual([]);
    },
  },
  routes: {
    "GET /me": async (call, w) => assertNoLeak(w, await (await call("GET", "/me")).json()),
    "GET /organizations": async (call, w) => assertNoLeak(w, await (await call("GET", "/organizations")).json()),
    "GET /organization": async (call, w) => assertNoLeak(w, await (await call("GET", "/organization")).json()),
    "PATCH /organization": async (call, w) =>
      assertNoLeak(w, await (await call("PATCH", "/organization", { name: "bob org" })).json()),
    "GET /members": async (call, w) => assertNoLeak(w, await (await call("GET", "/members")).json()),
    "PATCH /members/{membershipId}": async (call, w) =>
      expect((await call("PATCH", `/members/${w.aMemberId}`, { role: "viewer" })).status).toBe(404),
    "DELETE /members/{membershipId}": async (call, w) =>
      expect((await call("DELETE", `/members/${w.aMemberId}`)).status).toBe(404),
    "GET /invitations": async (call, w) => assertNoLeak(w, await (await call("GET", "/invitations")).json()),
    "POST /invitations": async (call) =>
      expect((await call("POST", "/invitations", { role: "viewer" })).status).toBe(403),
    "DELETE /invitations/{invitationId}": async (call, w) =>
      expect((await call("DELETE", `/invitations/${w.aInvitationId}`)).status).toBe(404),
    "GET /invitations/preview": async (call) =>
      expect((await call("GET", `/invitations/preview?secret=nvinv_${"z".repeat(32)}`)).status).toBe(404),
    "POST /invitations/accept": async (call, w) =>
      expect((await call("POST", "/invitations/accept", { secret: w.aSecrets[0] })).status).toBe(403),
    "GET /tokens": async (call, w) => assertNoLeak(w, await (await call("GET", "/tokens")).json()),
    "POST /tokens": async (call) =>
      expect((await call("POST", "/tokens", { name: "x", scopes: ["audit:read"] })).status).toBe(403),
    "DELETE /tokens/{tokenId}": async (call, w) =>
      expect((await call("DELETE", `/tokens/${w.a.tokenId}`)).status).toBe(404),
    "GET /ssh-keys": async (call, w) => assertNoLeak(w, await (await call("GET", "/ssh-keys")).json()),
    "POST /ssh-keys": async (call, w) => {
      const res = await call("POST", "/ssh-keys", { name: "bob-rest", publicKey: TEST_SSH_KEYS.ecdsa256.line });
      expect(res.status).toBe(200);
      const key = (await res.json()) as { id: string };
      expect(key.id).not.toBe(w.aSshKeyId);
      expect(await w.deps.db.sshKey.findUniqueOrThrow({ where: { id: key.id } })).toMatchObject({ orgId: w.b.orgId });
    },
    "DELETE /ssh-keys/{sshKeyId}": async (call, w) =>
      expect((await call("DELETE", `/ssh-keys/${w.aSshKeyId}`)).status).toBe(404),
    "GET /audit-events": async (call, w) =>
      assertNoLeak(w, await (await call("GET", "/audit-events?limit=200")).json()),
  },
};
