import { LoginLimiter, createCoreDeps, type CoreDeps } from "@nvi/core";
import { Redis } from "ioredis";
import { webEnv } from "../env.ts";

/** Process-wide singletons, made on first use (never at import: `next build` has no database). */
const g = globalThis as unknown as { nviDeps?: CoreDeps; nviRedis?: Redis; nviLimiter?: LoginLimiter };

export function coreDeps(): CoreDeps {
  return (g.nviDeps ??= createCoreDeps(webEnv().DATABASE_URL));
}

export function redis(): Redis {
  return (g.nviRedis ??= new Redis(webEnv().REDIS_URL, { maxRetriesPerRequest: 2 }));
}

export function loginLimiter(): LoginLimiter {
  return (g.nviLimiter ??= new LoginLimiter(redis()));
}

/**
 * The client address. `next start` puts the socket's address in x-forwarded-for;
 * behind a proxy the proxy appends the client's. The last entry is the one our own
 * side added, so a client cannot choose it by sending the header itself.
 */
export function sourceIpOf(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-for");
  const last = forwarded?.split(",").map((s) => s.trim()).filter(Boolean).at(-1);
  return last ?? headers.get("x-real-ip") ?? null;
}
