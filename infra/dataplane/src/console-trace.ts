import { appendFileSync } from "node:fs";
import { Server, type IncomingMessage, type ServerResponse } from "node:http";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { timePgRoundTrips } from "./pg-round-trips.ts";

/**
 * A diagnostic for the lab console's slow requests (bench/policy's tail): with `NVI_TRACE_FILE`
 * set, the console's process keeps the last 30 s of its HTTP requests, Postgres round trips (with
 * the pooled connection each used) and garbage collections, and for each policy change slower than
 * `NVI_TRACE_SLOW_MS` appends to that file everything that overlapped it. The round trips of the
 * change's own transaction share one connection; a gap before its first one is time spent waiting
 * for a connection or for the event loop. Off unless asked: it patches `pg` and `http`.
 */
type Span = { start: number; ms: number; what: string };
const KEEP_MS = 30_000;
const now = () => performance.timeOrigin + performance.now();

export function traceConsole(file: string, slowMs: number, match = /\/policy\/(unplug|plug)/): void {
  const requests: Span[] = [];
  const trips: Span[] = [];
  const gcs: Span[] = [];
  const trim = (list: Span[]) => {
    const cut = now() - KEEP_MS;
    while (list.length > 0 && list[0]!.start + list[0]!.ms < cut) list.shift();
  };
  new PerformanceObserver((l) => {
    for (const e of l.getEntries())
      gcs.push({ start: performance.timeOrigin + e.startTime, ms: e.duration, what: "gc" });
    trim(gcs);
  }).observe({ entryTypes: ["gc"] });

  timePgRoundTrips((t) => {
    trips.push({ start: t.start, ms: t.ms, what: `pg#${t.connection} ${t.sql.slice(0, 90)}` });
    trim(trips);
  });

  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the server as `this` below
  const emit = Server.prototype.emit as (this: Server, event: string, ...a: unknown[]) => boolean;
  Server.prototype.emit = function (this: Server, event: string, ...a: unknown[]) {
    if (event === "request") {
      const [req, res] = a as [IncomingMessage, ServerResponse];
      const start = now();
      res.on("finish", () => {
        const span = { start, ms: now() - start, what: `${req.method} ${req.url} ${res.statusCode}` };
        requests.push(span);
        trim(requests);
        if (span.ms >= slowMs && match.test(req.url ?? "")) setTimeout(() => report(span), 2_000);
      });
    }
    return emit.call(this, event, ...a);
  } as typeof Server.prototype.emit;

  const report = (slow: Span) => {
    const from = slow.start - 50;
    const to = slow.start + slow.ms;
    const overlap = (s: Span) => s.start <= to && s.start + s.ms >= from;
    const line = (s: Span) =>
      `  ${(s.start - slow.start).toFixed(1).padStart(8)} +${s.ms.toFixed(1).padStart(6)}  ${s.what}`;
    const all = [...requests.filter(overlap), ...trips.filter(overlap), ...gcs.filter(overlap)].sort(
      (x, y) => x.start - y.start,
    );
    appendFileSync(
      file,
      `\n${new Date(slow.start).toISOString()} slow ${slow.what}: ${slow.ms.toFixed(1)} ms; what overlapped it (ms from its start, +duration):\n` +
        all.map(line).join("\n") +
        "\n",
    );
  };
}
