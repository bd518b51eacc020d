import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { DomainError } from "../errors.ts";

interface Limit {
  points: number;
  windowSeconds: number;
}

export interface LoginLimits {
  /** one account from one address: the brute-force guard that bites first */
  perAccountAddress: Limit;
  /** one account from addresses it has never signed in from: a backstop against many-address guessing */
  perAccount: Limit;
  /** one address across all accounts: password spraying */
  perIp: Limit;
  /** how long an address an account signed in from stays known to it */
  knownAddressDays: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perAccountAddress: { points: 8, windowSeconds: 15 * 60 },
  perAccount: { points: 100, windowSeconds: 15 * 60 },
  perIp: { points: 60, windowSeconds: 15 * 60 },
  knownAddressDays: 30,
};

/**
 * Brute-force guard for sign-in, kept in Redis so every console replica shares it. An attempt
 * costs a point for its address, for the account at that address and, unless the account has
 * signed in from that address before, for the account as a whole. So wrong passwords sent from
 * rotating addresses block those addresses, never the owner where they usually sign in: nobody
 * can lock someone else out by failing on purpose (the lock is per account and address, as
 * OWASP's anchors have it), while one address guessing is stopped after a few tries and a crowd of
 * addresses after the backstop. A successful sign-in gives the account its attempts back and
 * remembers the address.
 */
export class LoginLimiter {
  private readonly pair: RateLimiterRedis;
  private readonly account: RateLimiterRedis;
  private readonly ip: RateLimiterRedis;

  constructor(
    private readonly redis: Redis,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly keyPrefix = "nvi:login",
  ) {
    const limiter = (name: string, limit: Limit) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${keyPrefix}:${name}`,
        points: limit.points,
        duration: limit.windowSeconds,
      });
    this.pair = limiter("pair", limits.perAccountAddress);
    this.account = limiter("acct", limits.perAccount);
    this.ip = limiter("ip", limits.perIp);
  }

  private knownKey(account: string): string {
    return `${this.keyPrefix}:known:${account}`;
  }

  async attempt(email: string, ip: string | null): Promise<void> {
    const account = email.trim().toLowerCase();
    try {
      // The address pays first: a blocked address cannot go on spending other accounts' attempts.
      if (ip) await this.ip.consume(ip);
      await this.pair.consume(`${account}|${ip ?? "-"}`);
      const known = ip !== null && (await this.redis.sismember(this.knownKey(account), ip)) === 1;
      if (!known) await this.account.consume(account);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw new DomainError("RATE_LIMITED", `too many sign-in attempts; try again in ${retryAfterSeconds} s`, {
          retryAfterSeconds,
        });
      }
      throw error;
    }
  }

  /** True once per account and window: blocked attempts are audited once, not once each. */
  async firstBlockInWindow(email: string): Promise<boolean> {
    const key = `${this.keyPrefix}:blocked:${email.trim().toLowerCase()}`;
    return (await this.redis.set(key, "1", "EX", this.limits.perAccountAddress.windowSeconds, "NX")) === "OK";
  }

  async succeeded(email: string, ip: string | null): Promise<void> {
    const account = email.trim().toLowerCase();
    await this.pair.delete(`${account}|${ip ?? "-"}`);
    await this.account.delete(account);
    if (!ip) return;
    const known = this.knownKey(account);
    await this.redis
      .multi()
      .sadd(known, ip)
      .expire(known, this.limits.knownAddressDays * 24 * 3600)
      .exec();
  }
}
