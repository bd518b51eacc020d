import { describe, expect, it } from "vitest";
import { ApiTokenId, OrganizationId, isIdOf } from "./ids.ts";
import { ALL_SCOPES, Scope } from "./access.ts";

describe("ids", () => {
  it("accept only their own prefix and shape", () => {
    expect(OrganizationId.safeParse("org_0123456789ABCDEFGHij").success).toBe(true);
    expect(OrganizationId.safeParse("tok_0123456789ABCDEFGHij").success).toBe(false);
    expect(OrganizationId.safeParse("org_0123456789ABCDEFGHi").success).toBe(false);
    expect(OrganizationId.safeParse("org_0123456789ABCDEFGH-j").success).toBe(false);
    expect(ApiTokenId.safeParse("tok_0123456789ABCDEFGHij").success).toBe(true);
    expect(isIdOf("apiToken", "tok_0123456789ABCDEFGHij")).toBe(true);
    expect(isIdOf("organization", "tok_0123456789ABCDEFGHij")).toBe(false);
  });

  it("name the expected kind in the error", () => {
    const result = ApiTokenId.safeParse("vpc_0123456789ABCDEFGHij");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/apiToken id \(tok_…\)/);
  });
});

describe("scopes", () => {
  it("are every area with read and write", () => {
    expect(ALL_SCOPES).toContain("vpcs:write");
    expect(ALL_SCOPES.length % 2).toBe(0);
    expect(Scope.safeParse("vpcs:admin").success).toBe(false);
  });
});
