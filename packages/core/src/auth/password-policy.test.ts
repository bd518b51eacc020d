import { describe, expect, it } from "vitest";
import { checkPasswordStrength } from "./password-policy.ts";

describe("password policy", () => {
  it.each([
    ["short1!", /at least 10/],
    ["password123", /most common/],
    ["aaaaaaaaaaaa", /different characters/],
    ["alicesecret99", /email/],
    ["onlyletterss", /mix letters/],
  ])("refuses %s with a reason", (password, reason) => {
    expect(checkPasswordStrength(password, { email: "alice@example.com", name: "Al" })).toMatch(reason);
  });

  it.each(["correct horse battery staple", "Tr0ub4dor&3x", "blue-ocean-42-kite"])("accepts %s", (password) => {
    expect(checkPasswordStrength(password, { email: "alice@example.com", name: "Alice" })).toBeNull();
  });
});
