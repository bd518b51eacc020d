import { describe, expect, it } from "vitest";
import { formatLabels, parseLabels } from "./labels.ts";

describe("labels text", () => {
  it("reads key=value pairs separated by commas, a bare key as an empty value", () => {
    expect(parseLabels(" tier=web, env = prod ,canary")).toEqual({ ok: true, labels: { tier: "web", env: "prod", canary: "" } });
    expect(parseLabels("")).toEqual({ ok: true, labels: {} });
  });
  it("names the part it cannot read", () => {
    expect(parseLabels("tier=web, =db", "matchLabels")).toEqual({ ok: false, error: 'matchLabels: "=db" is not key=value (tier=web)' });
  });
  it("writes what it reads back", () => {
    const labels = { tier: "web", canary: "" };
    expect(formatLabels(labels)).toBe("tier=web, canary");
    expect(parseLabels(formatLabels(labels))).toEqual({ ok: true, labels });
  });
});
