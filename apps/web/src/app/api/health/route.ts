import { coreDeps, redis } from "../../../server/deps.ts";

export const dynamic = "force-dynamic";

/** Liveness and dependencies, for the up script, load balancers and the status badge. */
export async function GET() {
  const checks = await Promise.allSettled([coreDeps().db.$queryRaw`SELECT 1`, redis().ping()]);
  const [db, cache] = checks.map((c) => (c.status === "fulfilled" ? "ok" : "down"));
  const ok = db === "ok" && cache === "ok";
  return Response.json({ status: ok ? "ok" : "degraded", postgres: db, redis: cache }, { status: ok ? 200 : 503 });
}
