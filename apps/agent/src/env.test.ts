import { describe, expect, it } from "vitest";
import { parseAgentEnv } from "./env.ts";

describe("agent env", () => {
  it("takes defaults and ignores other variables", () => {
    const env = parseAgentEnv({ PATH: "/bin", HOME: "/root", NVI_JOIN: "" });
    expect(env).toEqual({
      NVI_STATE_DIR: "/var/lib/nvi-agent",
      NVI_BRIDGE: "veb0",
      NVI_RESERVED_PORTS: "40000-49999",
      NVI_NETNS_PREFIX: "nvi-",
      NVI_IMAGE_DIR: "/var/lib/nvi/images",
      NVI_QEMU_ACCEL: "auto",
      NVI_WG_INTERFACE: "nvi-wg0",
    });
  });

  it("refuses unknown NVI_ variables and bad values, naming them", () => {
    expect(() => parseAgentEnv({ NVI_CONTROL_URL: "http://h", NVI_TYPO: "x" })).toThrow(/NVI_TYPO/);
    expect(() => parseAgentEnv({ NVI_BRIDGE: "this-name-is-way-too-long" })).toThrow(/NVI_BRIDGE/);
    expect(() => parseAgentEnv({ NVI_CONTROL_URL: "not a url" })).toThrow(/NVI_CONTROL_URL/);
    expect(() => parseAgentEnv({ NVI_HOSTNAME: "-bad" })).toThrow(/NVI_HOSTNAME/);
    expect(() => parseAgentEnv({ NVI_CONTROLLER: "198.18.0.1:6653" })).toThrow(/NVI_CONTROLLER/);
    expect(parseAgentEnv({ NVI_CONTROLLER: "tcp:198.18.0.1:6653" }).NVI_CONTROLLER).toBe("tcp:198.18.0.1:6653");
    expect(() => parseAgentEnv({ NVI_IMAGE_DIR: "images" })).toThrow(/NVI_IMAGE_DIR: an absolute path/);
    expect(() => parseAgentEnv({ NVI_QEMU_ACCEL: "hvf" })).toThrow(/NVI_QEMU_ACCEL/);
    expect(() => parseAgentEnv({ NVI_WG_INTERFACE: "wg0; rm -rf /" })).toThrow(/NVI_WG_INTERFACE/);
  });
});
