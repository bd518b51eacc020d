import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

/** One Postgres round trip: the statement (whitespace folded), when it was sent (ms since the epoch, sub-ms), how long it took, on which pooled connection. */
export interface PgRoundTrip {
  sql: string;
  start: number;
  ms: number;
  connection: number;
}

/** what of `pg` is patched (its types are not a dependency of this package) */
type PgModule = { Client: { prototype: { query: (...a: unknown[]) => unknown } } };

/**
 * Times every Postgres round trip this process makes through `pg` (the module the database package,
 * and Prisma's adapter, load: one instance), calling `onTrip` as each one ends. For diagnostics only
 * (console-trace.ts, bench/policy/api-split.ts): it patches `pg.Client.prototype.query` for good.
 */
export function timePgRoundTrips(onTrip: (trip: PgRoundTrip) => void): void {
  const pg = createRequire(new URL("../../../packages/db/package.json", import.meta.url))("pg") as PgModule;
  const ids = new WeakMap<object, number>();
  let nextId = 1;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: object, ...a: unknown[]) {
    if (!ids.has(this)) ids.set(this, nextId++);
    const first = a[0] as string | { text?: string };
    const sql = (typeof first === "string" ? first : (first.text ?? "")).replace(/\s+/g, " ");
    const t0 = performance.now();
    const done = () =>
      onTrip({ sql, start: performance.timeOrigin + t0, ms: performance.now() - t0, connection: ids.get(this)! });
    // the pool calls it with a callback (and gets nothing back); Prisma's transactions await a promise
    const cb = a.at(-1);
    if (typeof cb === "function")
      a[a.length - 1] = (...r: unknown[]) => {
        done();
        return (cb as (...x: unknown[]) => unknown)(...r);
      };
    const r = query.apply(this, a);
    if (r instanceof Promise) void r.then(done, done);
    return r;
  };
}
