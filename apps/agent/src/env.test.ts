import { describe, expect, it } from "vitest";
import { parseAgentEnv } from "./env.ts";

describe("agent env", () => {
  it("takes defaults and ignores other variables", () => {
    const env = parseAgentEnv({ PATH: "/bin", HOME: "/root" });
    expect(env).toEqual({ NVI_CONTROL_URL: "http://127.0.0.1:3000", NVI_BRIDGE: "veb0", NVI_DATACENTER: "default" });
  });

  it("refuses unknown NVI_ variables and bad bridge names", () => {
    expect(() => parseAgentEnv({ NVI_CONTROL_URL: "http://h", NVI_TYPO: "x" })).toThrow(/NVI_TYPO/);
    expect(() => parseAgentEnv({ NVI_BRIDGE: "this-name-is-way-too-long" })).toThrow(/NVI_BRIDGE/);
    expect(() => parseAgentEnv({ NVI_CONTROL_URL: "not a url" })).toThrow(/NVI_CONTROL_URL/);
  });
});
