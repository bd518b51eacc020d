import type { Redis } from "ioredis";

/**
 * A worker killed with SIGKILL mid-operation keeps its job locked in BullMQ until the lock expires
 * (10 s) and the stalled check runs (every 5 s): the restarted worker would wait that long. Each
 * worker therefore records the operations it runs under its id (`host:pid`), and a worker starting
 * on the same host takes over at once those of a worker whose process is gone (the BullMQ job,
 * when it comes back, finds the operation running here or done). Workers on other hosts are left
 * to BullMQ's stalled check. Keys live under the queue's prefix, so runs sharing a Redis never mix.
 */
const keyOf = (prefix: string, workerId: string) => `nvi:${prefix}:worker-ops:${workerId}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The operations this worker runs, as others may need to know should it die. Never throws (Redis may be down). */
export function runningRecord(redis: Redis, prefix: string, workerId: string) {
  const key = keyOf(prefix, workerId);
  return {
    add: (operationId: string) =>
      redis
        .multi()
        .sadd(key, operationId)
        .expire(key, 24 * 3600)
        .exec()
        .catch(() => undefined),
    remove: (operationId: string) => redis.srem(key, operationId).catch(() => undefined),
  };
}

/**
 * The operations workers of this host were running when their process went away; their records are
 * removed. Called before this worker takes any job: a record under its own pid is a dead
 * predecessor's (a restarted container reuses the pid).
 */
export async function orphanedOperations(
  redis: Redis,
  prefix: string,
  host: string,
  self: number,
  isAlive: (pid: number) => boolean = alive,
): Promise<string[]> {
  const orphans: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", keyOf(prefix, `${host}:*`), "COUNT", 200);
    cursor = next;
    for (const key of keys) {
      const pid = Number(key.slice(key.lastIndexOf(":") + 1));
      if (!Number.isInteger(pid) || (pid !== self && isAlive(pid))) continue;
      orphans.push(...(await redis.smembers(key)));
      await redis.del(key);
    }
  } while (cursor !== "0");
  return orphans;
}
