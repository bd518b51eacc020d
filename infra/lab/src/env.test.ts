import { describe, expect, it } from "vitest";
import { hostEnv } from "./env.ts";

describe("a host process's environment", () => {
  it("keeps what a shell, Node and the agent need, and none of the console's settings or secrets", () => {
    const env = hostEnv(
      { NVI_BRIDGE: "veb0" },
      {
        PATH: "/usr/bin",
        HOME: "/root",
        NVI_IMAGE_DIR: "/var/lib/nvi/images",
        DATABASE_URL: "postgresql://nvi:nvi@127.0.0.1:5432/nvi",
        REDIS_URL: "redis://127.0.0.1:6379",
        AUTH_SECRET: "s".repeat(40),
        FABRIC_CA_SECRET: "f".repeat(40),
        NVI_TRUST_PROXY: "1",
        QUEUE_PREFIX: "x",
      },
    );
    expect(env).toEqual({ PATH: "/usr/bin", HOME: "/root", NVI_IMAGE_DIR: "/var/lib/nvi/images", NVI_BRIDGE: "veb0" });
  });
});
