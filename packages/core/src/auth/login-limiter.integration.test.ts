import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { DomainError } from "../errors.ts";
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from "./login-limiter.ts";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 2 });
const prefix = `nvi-test-login-${process.pid}-${Date.now()}`;
const limits = {
  perAccountAddress: { points: 3, windowSeconds: 60 },
  perAccount: { points: 3, windowSeconds: 60 },
  perIp: { points: 5, windowSeconds: 60 },
  knownAddressDays: 1,
};

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

async function outcome(p: Promise<void>): Promise<string> {
  return p.then(
    () => "ok",
    (e: unknown) => (e instanceof DomainError ? `${e.code}:${e.details.retryAfterSeconds! > 0}` : String(e)),
  );
}

describe("sign-in limiter against real Redis", () => {
  it("blocks an account after its attempts, case-insensitively, and says when to retry", async () => {
    const limiter = new LoginLimiter(redis, limits, `${prefix}:a`);
    for (let i = 0; i < 3; i++) expect(await outcome(limiter.attempt("Eve@Example.test", `10.0.0.${i}`))).toBe("ok");
    expect(await outcome(limiter.attempt("eve@example.test", "10.0.1.1"))).toBe("RATE_LIMITED:true");
    expect(await outcome(limiter.attempt("someone@example.test", "10.0.1.1"))).toBe("ok");
  });

  it("a successful sign-in gives the account its attempts back", async () => {
    const limiter = new LoginLimiter(redis, limits, `${prefix}:b`);
    for (let i = 0; i < 3; i++) await limiter.attempt("frank@example.test", null);
    await limiter.succeeded("FRANK@example.test", null);
    expect(await outcome(limiter.attempt("frank@example.test", null))).toBe("ok");
  });

  it("audits a blocked account once per window", async () => {
    const limiter = new LoginLimiter(redis, limits, `${prefix}:d`);
    expect(await limiter.firstBlockInWindow("gina@example.test")).toBe(true);
    expect(await limiter.firstBlockInWindow("GINA@example.test")).toBe(false);
  });

  it("blocks one address spraying many accounts, without spending the accounts' attempts", async () => {
    const limiter = new LoginLimiter(redis, limits, `${prefix}:c`);
    for (let i = 0; i < 5; i++) expect(await outcome(limiter.attempt(`user${i}@example.test`, "192.0.2.7"))).toBe("ok");
    for (let i = 0; i < 5; i++)
      expect(await outcome(limiter.attempt("user9@example.test", "192.0.2.7"))).toBe("RATE_LIMITED:true");
    for (let i = 0; i < 3; i++)
      expect(await outcome(limiter.attempt("user9@example.test", `192.0.2.${20 + i}`))).toBe("ok");
  });

  it("wrong passwords from rotating addresses do not lock the owner out (the issue's attack, with the real limits)", async () => {
    const limiter = new LoginLimiter(redis, DEFAULT_LOGIN_LIMITS, `${prefix}:e`);
    for (let i = 0; i < 8; i++)
      expect(await outcome(limiter.attempt("victim@example.test", `203.0.113.${i}`))).toBe("ok");
    expect(await outcome(limiter.attempt("victim@example.test", "198.51.100.9"))).toBe("ok");
  });

  it("one address guessing one account is stopped after its attempts; other addresses are not", async () => {
    const limiter = new LoginLimiter(
      redis,
      { ...limits, perAccount: { points: 50, windowSeconds: 60 } },
      `${prefix}:f`,
    );
    for (let i = 0; i < 3; i++) expect(await outcome(limiter.attempt("hal@example.test", "192.0.2.66"))).toBe("ok");
    expect(await outcome(limiter.attempt("HAL@example.test", "192.0.2.66"))).toBe("RATE_LIMITED:true");
    expect(await outcome(limiter.attempt("hal@example.test", "192.0.2.67"))).toBe("ok");
  });

  it("a crowd of new addresses hits the account's backstop, but the owner's known address still gets in", async () => {
    const limiter = new LoginLimiter(redis, { ...limits, perAccount: { points: 4, windowSeconds: 60 } }, `${prefix}:g`);
    await limiter.attempt("ivy@example.test", "192.0.2.80");
    await limiter.succeeded("ivy@example.test", "192.0.2.80");
    for (let i = 0; i < 4; i++)
      expect(await outcome(limiter.attempt("ivy@example.test", `198.51.100.${i}`))).toBe("ok");
    expect(await outcome(limiter.attempt("ivy@example.test", "198.51.100.200"))).toBe("RATE_LIMITED:true");
    for (let i = 0; i < 3; i++) expect(await outcome(limiter.attempt("ivy@example.test", "192.0.2.80"))).toBe("ok");
  });
});
