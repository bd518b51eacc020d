import { describe, expect, it } from "vitest";
import { formatLabels, parseLabels } from "./labels.ts";

describe("labels text", () => {
  it("reads key=value pairs separated by commas, a bare key as an empty value", () => {
    expect(parseLabels(" tier=web, env = prod ,canary")).toEqual({
      ok: true,
      labels: { tier: "web", env: "prod", canary: "" },
    });
    expect(parseLabels("")).toEqual({ ok: true, labels: {} });
  });
  it("names the part it cannot read", () => {
    expect(parseLabels("tier=web, =db", "matchLabels")).toEqual({
      ok: false,
      error: 'matchLabels: "=db" is not key=value (tier=web)',
    });
  });
  it("checks keys and values with the API's rules, naming the label at fault", () => {
    const upper = parseLabels("Tier=web", "matchLabels");
    expect(upper.ok).toBe(false);
    expect(!upper.ok && upper.error).toMatch(/^matchLabels: "Tier=web": label keys: lower-case/);
    expect(parseLabels("tier=w b").ok).toBe(false);
  });
  it("writes what it reads back", () => {
    const labels = { tier: "web", canary: "" };
    expect(formatLabels(labels)).toBe("tier=web, canary");
    expect(parseLabels(formatLabels(labels))).toEqual({ ok: true, labels });
  });
});
