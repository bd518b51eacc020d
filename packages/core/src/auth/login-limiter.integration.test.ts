import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { DomainError } from "../errors.ts";
import { LoginLimiter } from "./login-limiter.ts";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: 2 });
const prefix = `nvi-test-login-${process.pid}-${Date.now()}`;
const limits = { perAccount: { points: 3, windowSeconds: 60 }, perIp: { points: 5, windowSeconds: 60 } };

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
    await limiter.succeeded("FRANK@example.test");
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
    for (let i = 0; i < 5; i++) expect(await outcome(limiter.attempt("user9@example.test", "192.0.2.7"))).toBe("RATE_LIMITED:true");
    for (let i = 0; i < 3; i++) expect(await outcome(limiter.attempt("user9@example.test", `192.0.2.${20 + i}`))).toBe("ok");
  });
});
