import { describe, expect, it } from "vitest";
import { parseWebEnv } from "./env.ts";

const good = { DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/db", AUTH_SECRET: "x".repeat(64) };

describe("console env", () => {
  it("fills defaults", () => {
    const env = parseWebEnv(good);
    expect(env.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(env.PUBLIC_URL).toBe("http://127.0.0.1:3000");
    expect(env.NVI_SIGNUPS_PER_MINUTE).toBe(10);
    expect([env.NVI_ORG_HOST_LIMIT, env.NVI_ORG_POOL_BLOCK_LIMIT]).toEqual([256, 256]);
  });

  it("names every bad variable", () => {
    expect(() => parseWebEnv({ DATABASE_URL: "mysql://x/y", AUTH_SECRET: "short" })).toThrow(
      /DATABASE_URL[\s\S]*AUTH_SECRET/,
    );
    expect(() => parseWebEnv({ AUTH_SECRET: "x".repeat(64) })).toThrow(/DATABASE_URL/);
    expect(() => parseWebEnv({ ...good, PUBLIC_URL: "not a url" })).toThrow(/PUBLIC_URL/);
    expect(() => parseWebEnv({ ...good, NVI_INSTANCE_POOL: "100.64.0.0/25" })).toThrow(
      /NVI_INSTANCE_POOL: 100.64.0.0\/25 is smaller than one \/24 block/,
    );
    expect(parseWebEnv({ ...good, NVI_INSTANCE_POOL: "100.80.0.0/16" }).NVI_INSTANCE_POOL).toBe("100.80.0.0/16");
    expect(() => parseWebEnv({ ...good, NVI_ORG_HOST_LIMIT: "0" })).toThrow(/NVI_ORG_HOST_LIMIT/);
    expect(() => parseWebEnv({ ...good, NVI_ORG_POOL_BLOCK_LIMIT: "lots" })).toThrow(/NVI_ORG_POOL_BLOCK_LIMIT/);
    expect(parseWebEnv({ ...good, NVI_ORG_HOST_LIMIT: "1000" }).NVI_ORG_HOST_LIMIT).toBe(1000);
  });
});
