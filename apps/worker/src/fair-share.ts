import type { Redis } from "ioredis";

/**
 * One organization never takes more than its share of the workers: at most `limit` of its
 * operations run in a worker slot at once, across every worker sharing the Redis. Each run holds a
 * lease (a member of the organization's sorted set, scored by when it expires), so a worker killed
 * mid-run gives its leases back by themselves after `leaseMs`. A job refused a lease is delayed,
 * not failed. Keys live under the queue's prefix, so runs sharing a Redis never mix.
 */
const TAKE = `
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
if redis.call("ZSCORE", KEYS[1], ARGV[3]) then
  redis.call("ZADD", KEYS[1], ARGV[2], ARGV[3])
  return 1
end
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call("ZADD", KEYS[1], ARGV[2], ARGV[3])
redis.call("PEXPIRE", KEYS[1], ARGV[5])
return 1
`;

export interface OrgSlots {
  /** true: `holder` (a job) may run now for `orgId`; false: the organization is at its limit */
  take(orgId: string, holder: string): Promise<boolean>;
  release(orgId: string, holder: string): Promise<void>;
}

export function orgSlots(redis: Redis, prefix: string, o: { limit: number; leaseMs: number }): OrgSlots {
  const key = (orgId: string) => `nvi:${prefix}:org-slots:${orgId}`;
  return {
    async take(orgId, holder) {
      const now = Date.now();
      const taken = await redis.eval(TAKE, 1, key(orgId), now, now + o.leaseMs, holder, o.limit, o.leaseMs * 2);
      return taken === 1;
    },
    async release(orgId, holder) {
      await redis.zrem(key(orgId), holder);
    },
  };
}

/** When a job refused a slot looks again: soon (a run in a slot is short now that waits park), spread out. */
export const retryTakeAt = (now: number, random: number = Math.random()): number =>
  now + 250 + Math.round(500 * random);
