import { SerialGate } from "@nvi/api";
import { LoginLimiter, createCoreDeps, jobQueue, type CoreDeps, type OperationQueue } from "@nvi/core";
import { JobProducer } from "@nvi/jobs";
import { Redis } from "ioredis";
import { webEnv } from "../env.ts";

/** Process-wide singletons, made on first use (never at import: `next build` has no database). */
const g = globalThis as unknown as {
  nviDeps?: CoreDeps;
  nviRedis?: Redis;
  nviLimiter?: LoginLimiter;
  nviQueue?: OperationQueue;
  nviSerial?: SerialGate;
};

export function coreDeps(): CoreDeps {
  const env = webEnv();
  return (g.nviDeps ??= createCoreDeps(env.DATABASE_URL, {
    fabricSecret: env.FABRIC_CA_SECRET ?? env.AUTH_SECRET,
    secretsKey: env.NVI_SECRETS_KEY ?? env.AUTH_SECRET,
    ...(env.NVI_INSTANCE_POOL ? { instancePool: env.NVI_INSTANCE_POOL } : {}),
    orgLimits: { hosts: env.NVI_ORG_HOST_LIMIT, poolBlocks: env.NVI_ORG_POOL_BLOCK_LIMIT },
    cacheTokens: true,
  }));
}

export function redis(): Redis {
  return (g.nviRedis ??= new Redis(webEnv().REDIS_URL, { maxRetriesPerRequest: 2 }));
}

/** Host-touching operations go to the worker through BullMQ. */
export function operationQueue(): OperationQueue {
  return (g.nviQueue ??= jobQueue(new JobProducer(webEnv().REDIS_URL, webEnv().QUEUE_PREFIX)));
}

/** The serial console's tickets and the hosts' long polls (Redis); the relay itself is in server.mjs. */
export function serialGate(): SerialGate {
  return (g.nviSerial ??= new SerialGate(redis()));
}

export function loginLimiter(): LoginLimiter {
  return (g.nviLimiter ??= new LoginLimiter(redis()));
}

/**
 * The client address, as server.mjs leaves it in X-Forwarded-For: the socket's
 * address, or (with NVI_TRUST_PROXY=1) what the trusted proxy appended last. Under
 * `next dev` a client can still choose this header; only server.mjs pins it.
 */
export function sourceIpOf(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .at(-1);
  return last ?? headers.get("x-real-ip") ?? null;
}
