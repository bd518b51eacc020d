import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { DomainError } from "../errors.ts";

export interface LoginLimits {
  perAccount: { points: number; windowSeconds: number };
  perIp: { points: number; windowSeconds: number };
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAccount: { points: 8, windowSeconds: 15 * 60 },
  perIp: { points: 60, windowSeconds: 15 * 60 },
};

/**
 * Brute-force guard for sign-in, kept in Redis so every console replica shares it.
 * Each attempt costs a point for the account and for the source IP; a successful
 * sign-in gives the account its points back.
 */
export class LoginLimiter {
  private readonly account: RateLimiterRedis;
  private readonly ip: RateLimiterRedis;

  constructor(
    private readonly redis: Redis,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly keyPrefix = "nvi:login",
  ) {
    this.account = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${keyPrefix}:acct`,
      points: limits.perAccount.points,
      duration: limits.perAccount.windowSeconds,
    });
    this.ip = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}:ip`, points: limits.perIp.points, duration: limits.perIp.windowSeconds });
  }

  async attempt(email: string, ip: string | null): Promise<void> {
    try {
      // The address pays first: a blocked address cannot go on spending other accounts' attempts.
      if (ip) await this.ip.consume(ip);
      await this.account.consume(email.trim().toLowerCase());
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw new DomainError("RATE_LIMITED", `too many sign-in attempts; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      throw error;
    }
  }

  /** True once per account and window: blocked attempts are audited once, not once each. */
  async firstBlockInWindow(email: string): Promise<boolean> {
    const key = `${this.keyPrefix}:blocked:${email.trim().toLowerCase()}`;
    return (await this.redis.set(key, "1", "EX", this.limits.perAccount.windowSeconds, "NX")) === "OK";
  }

  async succeeded(email: string): Promise<void> {
    await this.account.delete(email.trim().toLowerCase());
  }
}
