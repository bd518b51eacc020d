import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NVI_VERSION, olderRelease } from "./version.ts";

describe("olderRelease", () => {
  it("compares field by field, numerically", () => {
    expect(olderRelease("0.1.0", "0.2.0")).toBe(true);
    expect(olderRelease("0.9.0", "0.10.0")).toBe(true);
    expect(olderRelease("0.10.0", "0.9.0")).toBe(false);
    expect(olderRelease("1.0", "1.0.1")).toBe(true);
    expect(olderRelease("0.1.0", "0.1.0")).toBe(false);
    expect(olderRelease("0.1.0-dev", "0.1.0")).toBe(false);
    expect(olderRelease("0.0.0", NVI_VERSION)).toBe(true);
  });
});

describe("NVI_VERSION", () => {
  it("is the agent package's version (the .deb is named after it)", () => {
    const agent = JSON.parse(readFileSync(new URL("../../../apps/agent/package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(agent.version).toBe(NVI_VERSION);
  });
});
