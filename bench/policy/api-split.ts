/**
 * Where the API's time goes in a policy change, without the lab: the REST API served over HTTP in
 * this process, a tenant with a VPC (its `default` group plugged to itself) and a few instances'
 * worth of rows, then unplug / plug in turn, one at a time, with every Postgres round trip timed.
 *
 *   node --import tsx bench/policy/api-split.ts [--rounds 40]
 *
 * Prints, per request kind: the answer p50 / p99 and its Postgres round trips (how many, their
 * total time), then the round trips of the median unplug in order. No worker runs: the jobs are
 * queued under a private prefix nobody consumes.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- REST answers are JSON */
import { createServer } from "node:http";
import os from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import { timePgRoundTrips } from "../../infra/dataplane/src/pg-round-trips.ts";
import { createApiContext, handleRest } from "../../packages/api/src/index.ts";
import { ALL_SCOPES } from "../../packages/contracts/src/index.ts";
import {
  createApiToken,
  createCoreDeps,
  ensurePersonalOrganization,
  redisOperationQueue,
  resolveUserActor,
} from "../../packages/core/src/index.ts";

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ROUNDS = Number(arg("rounds") ?? "40");
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const pct = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/** every query a request makes, with its time from the request's start */
type Trip = { sql: string; start: number; ms: number };
/** the request being served (one at a time: Prisma's pool does not keep the async context) */
let serving: { t0: number; trips: Trip[] } | undefined;
timePgRoundTrips((t) => {
  const req = serving;
  const start = t.start - performance.timeOrigin - (req?.t0 ?? 0);
  if (req && start >= 0) req.trips.push({ sql: t.sql.slice(0, 110), start, ms: t.ms });
});

/** garbage collections in this process (start, duration in ms, from performance's time origin) */
const gcs: { start: number; ms: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration });
}).observe({ entryTypes: ["gc"] });
const gcDuring = (t0: number, t1: number) =>
  gcs.filter((g) => g.start + g.ms >= t0 && g.start <= t1).reduce((sum, g) => sum + g.ms, 0);

const url = process.env.DATABASE_URL ?? "";
const deps = createCoreDeps(url);
const queue = redisOperationQueue(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", `nvibench-${Date.now()}`);

const user = await deps.db.user.create({
  data: { id: deps.newId("user"), email: `api-split-${Date.now()}@example.test`, name: "api-split" },
});
const orgId = await ensurePersonalOrganization(deps, user, "127.0.0.1");
const actor = await resolveUserActor(deps, { userId: user.id, preferredOrgId: orgId, sourceIp: "127.0.0.1" });
const token = (
  await createApiToken({ ...deps, actor }, { name: "api-split", scopes: [...ALL_SCOPES], expiresInDays: 1 })
).secret;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const store = { t0: performance.now(), trips: [] as Trip[] };
    serving = store;
    void (async () => {
      const body = chunks.length > 0 && req.method !== "GET" ? Buffer.concat(chunks) : undefined;
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body,
      });
      const response = await handleRest(
        request,
        (r) =>
          createApiContext({
            deps,
            headers: r.headers,
            method: r.method,
            sourceIp: "127.0.0.1",
            publicUrl: "http://127.0.0.1",
            getSessionUser: () => Promise.resolve(null),
            operations: queue,
          }),
        { onInternalError: (e, path) => console.error(`[api-split] ${path}:`, e) },
      );
      const payload = Buffer.from(await response.arrayBuffer());
      // what the request did in Postgres, handed to the caller beside the answer (trips end before the answer)
      res.writeHead(response.status, {
        ...Object.fromEntries(response.headers),
        "x-trips": encodeURIComponent(JSON.stringify(store.trips)),
      });
      res.end(payload);
    })();
  });
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1`;
const call = async (method: string, path: string, body?: unknown) => {
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json: any = await res.json();
  const ms = performance.now() - t;
  const c = process.cpuUsage(cpu0);
  const cpu = (c.user + c.system) / 1000;
  const gc = gcDuring(t, t + ms);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return { json, ms, cpu, gc, trips: JSON.parse(decodeURIComponent(res.headers.get("x-trips") ?? "[]")) as Trip[] };
};

try {
  const vpc = (await call("POST", "/vpcs", { name: "split", cidr: "10.61.0.0/16" })).json;
  const def = ((await call("GET", "/groups")).json as any[]).find((g) => g.vpcId === vpc.id && g.name === "default");
  const m: Record<string, { ms: number; cpu: number; gc: number; trips: Trip[] }[]> = {};
  console.error(`[api-split] load average ${loadavg()}; ${ROUNDS} rounds`);
  for (let k = 0; k < ROUNDS + 3; k++) {
    for (const verb of ["unplug", "plug"] as const) {
      const r = await call("POST", `/policy/${verb}`, { srcGroupId: def.id, dstGroupId: def.id });
      if (k >= 3) (m[verb] ??= []).push(r);
      const g = await call("GET", "/groups");
      if (k >= 3) (m["GET /groups"] ??= []).push(g);
      const o = await call("GET", "/operations");
      if (k >= 3) (m["GET /operations"] ??= []).push(o);
    }
  }
  console.log(`\nload average ${loadavg()} (after)\n`);
  console.log(
    "| request | answered p50 / p99 ms | Postgres round trips | their time p50 ms | CPU of this process p50 ms (server and client) |",
  );
  console.log("|---|---|---|---|---|");
  for (const [k, rs] of Object.entries(m)) {
    const ms = rs.map((r) => r.ms);
    const sum = rs.map((r) => r.trips.reduce((s, t) => s + t.ms, 0));
    console.log(
      `| ${k} | ${pct(ms, 0.5).toFixed(1)} / ${pct(ms, 0.99).toFixed(1)} | ${pct(
        rs.map((r) => r.trips.length),
        0.5,
      )} | ${pct(sum, 0.5).toFixed(1)} | ${pct(
        rs.map((r) => r.cpu),
        0.5,
      ).toFixed(1)} |`,
    );
  }
  // the median of each kind, its round trips in order
  for (const [k, rs] of Object.entries(m)) {
    const median = [...rs].sort((a, b) => a.ms - b.ms)[Math.floor(rs.length / 2)];
    console.log(`\nthe median ${k} (${median?.ms.toFixed(1)} ms), its round trips (start +duration, ms):`);
    for (const t of median?.trips ?? [])
      console.log(`  ${t.start.toFixed(1).padStart(6)} +${t.ms.toFixed(1)}  ${t.sql}`);
  }
  const unplugs = [...(m.unplug ?? [])].sort((a, b) => a.ms - b.ms);
  // the tail: where the slowest unplugs spent their time (Postgres, garbage collection, or neither)
  for (const slow of unplugs.slice(-3).reverse()) {
    const inPg = slow.trips.reduce((sum, t) => sum + t.ms, 0);
    console.log(
      `\na slow unplug (${slow.ms.toFixed(1)} ms): ${inPg.toFixed(1)} ms in ${slow.trips.length} round trips, ` +
        `${slow.gc.toFixed(1)} ms of garbage collection, ${slow.cpu.toFixed(1)} ms of CPU; its round trips:`,
    );
    for (const t of slow.trips) console.log(`  ${t.start.toFixed(1).padStart(6)} +${t.ms.toFixed(1)}  ${t.sql}`);
  }
} finally {
  server.close();
  await deps.db.organization.delete({ where: { id: orgId } }).catch((e: Error) => console.error(e.message));
  await deps.db.user.delete({ where: { id: user.id } }).catch(() => undefined);
  await deps.db.$disconnect();
  await queue.close();
}
