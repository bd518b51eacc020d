import { Labels } from "./policy.ts";
import { describe, expect, it } from "vitest";

describe("labels", () => {
  it("a bad key or value is named, with why", () => {
    const bad = Labels.safeParse({ Tier: "web", env: "pro d" });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toEqual([
      expect.stringMatching(/^Tier: label key "Tier": label keys: lower-case letters/),
      expect.stringMatching(/^env: label "env" value "pro d": label values: letters, digits/),
    ]);
    expect(Labels.parse({ "app.kubernetes.io/name": "web", tier: "" })).toEqual({
      "app.kubernetes.io/name": "web",
      tier: "",
    });
  });
});
