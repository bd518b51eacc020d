import { describe, expect, it } from "vitest";
import { parseWebEnv } from "./env.ts";

const good = { DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/db", AUTH_SECRET: "x".repeat(64) };

describe("console env", () => {
  it("fills defaults", () => {
    const env = parseWebEnv(good);
    expect(env.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(env.PUBLIC_URL).toBe("http://127.0.0.1:3000");
  });

  it("names every bad variable", () => {
    expect(() => parseWebEnv({ DATABASE_URL: "mysql://x/y", AUTH_SECRET: "short" })).toThrow(
      /DATABASE_URL[\s\S]*AUTH_SECRET/,
    );
    expect(() => parseWebEnv({ AUTH_SECRET: "x".repeat(64) })).toThrow(/DATABASE_URL/);
    expect(() => parseWebEnv({ ...good, PUBLIC_URL: "not a url" })).toThrow(/PUBLIC_URL/);
  });
});
