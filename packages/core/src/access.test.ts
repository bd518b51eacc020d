import { describe, expect, it } from "vitest";
import { ALL_SCOPES, ROLES, type Scope } from "@nvi/contracts";
import { ROLE_SCOPES, assertScope, effectiveTokenScopes, grants, normaliseScopes, scopesBeyondRole } from "./access.ts";
import { DomainError } from "./errors.ts";

describe("scopes", () => {
  it("write implies read, read never implies write", () => {
    const s = new Set<Scope>(["vpcs:write", "audit:read"]);
    expect(grants(s, "vpcs", "read")).toBe(true);
    expect(grants(s, "vpcs", "write")).toBe(true);
    expect(grants(s, "audit", "read")).toBe(true);
    expect(grants(s, "audit", "write")).toBe(false);
    expect(grants(s, "tokens", "read")).toBe(false);
  });

  it("assertScope throws MISSING_SCOPE naming the scope", () => {
    try {
      assertScope(new Set(["vpcs:read"]), "vpcs", "write");
      expect.fail("should throw");
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe("MISSING_SCOPE");
      expect((error as DomainError).kind).toBe("FORBIDDEN");
      expect((error as DomainError).details.missing).toEqual(["vpcs:write"]);
    }
  });

  it("roles are ordered: each role's scopes include the weaker role's", () => {
    const [owner, admin, member, viewer] = ROLES.map((r) => new Set(ROLE_SCOPES[r]));
    for (const s of viewer!) expect(member!.has(s)).toBe(true);
    for (const s of member!) expect(admin!.has(s)).toBe(true);
    for (const s of admin!) expect(owner!.has(s)).toBe(true);
    expect([...viewer!].every((s) => s.endsWith(":read"))).toBe(true);
    expect(member!.has("members:write")).toBe(false);
  });

  it("a token never outgrows its creator's current role", () => {
    const token: Scope[] = ["vpcs:write", "members:write", "audit:read"];
    expect([...effectiveTokenScopes(token, "owner")]).toEqual(token);
    expect([...effectiveTokenScopes(token, "member")]).toEqual(["vpcs:write", "audit:read"]);
    expect([...effectiveTokenScopes(token, "viewer")]).toEqual(["audit:read"]);
    expect(scopesBeyondRole(token, "member")).toEqual(["members:write"]);
  });

  it("normalises requested scopes into canonical order without duplicates", () => {
    expect(normaliseScopes(["tokens:read", "clouds:read", "tokens:read"])).toEqual(["clouds:read", "tokens:read"]);
    expect(normaliseScopes([...ALL_SCOPES].reverse())).toEqual(ALL_SCOPES);
  });
});
