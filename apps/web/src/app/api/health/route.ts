import { cachedProbe, dependencyHealth, type Probes } from "@nvi/api";
import { coreDeps, redis } from "../../../server/deps.ts";

export const dynamic = "force-dynamic";

/** The probes live as long as the process: one probe per dependency at a time, each cut off after 500 ms. */
const g = globalThis as unknown as { nviProbes?: Probes };
const probes = (): Probes =>
  (g.nviProbes ??= {
    postgres: cachedProbe(() => coreDeps().db.$queryRaw`SELECT 1`),
    redis: cachedProbe(() => redis().ping()),
  });

/**
 * Liveness and each dependency's state, for the up script, load balancers and the status badge:
 * answered within 100 ms even while Postgres or Redis is down (the last probe's result, with its time).
 */
export async function GET() {
  const health = await dependencyHealth(probes());
  const { postgres, redis: cache } = health.dependencies;
  return Response.json(
    { status: health.status, postgres: postgres?.state, redis: cache?.state, dependencies: health.dependencies },
    { status: health.status === "ok" ? 200 : 503, headers: health.status === "ok" ? {} : { "Retry-After": "2" } },
  );
}
