// `/api/health` answers at once, whatever its dependencies do: each dependency is probed in the
// background (one probe at a time, abandoned after a short timeout) and the answer is the last
// result, refreshed when it is older than a second. A dead Redis or Postgres never blocks it.

export type DependencyState = "ok" | "down" | "unknown";

export interface ProbeResult {
  state: DependencyState;
  /** when the state was last measured (ISO), null before the first probe ends */
  checkedAt: string | null;
  /** why it is down (the probe's error, or its timeout) */
  error: string | null;
}

export interface ProbeOptions {
  /** a probe not answered in this long counts as down */
  timeoutMs?: number;
  /** a result younger than this is answered as is, with no new probe */
  freshMs?: number;
  now?: () => number;
}

/** One dependency's cached probe; `read(waitMs)` waits at most `waitMs` for a fresh result, else answers the last one. */
export function cachedProbe(check: () => Promise<unknown>, o: ProbeOptions = {}) {
  const timeoutMs = o.timeoutMs ?? 500;
  const freshMs = o.freshMs ?? 1_000;
  const now = o.now ?? Date.now;
  let last: ProbeResult & { at: number } = { state: "unknown", checkedAt: null, error: null, at: -Infinity };
  let running: Promise<void> | null = null;
  const settle = (state: DependencyState, error: string | null) => {
    last = { state, error, checkedAt: new Date(now()).toISOString(), at: now() };
  };
  const probe = (): Promise<void> =>
    (running ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(settle("down", `no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      check().then(
        () => (clearTimeout(timer), resolve(settle("ok", null))),
        (e: unknown) => (
          clearTimeout(timer),
          resolve(settle("down", e instanceof Error ? e.message.slice(0, 200) : String(e)))
        ),
      );
    }).finally(() => (running = null)));
  return {
    async read(waitMs: number): Promise<ProbeResult> {
      if (now() - last.at > freshMs) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([probe(), new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
        clearTimeout(timer);
      }
      const { at: _at, ...result } = last;
      return result;
    },
  };
}

export type Probes = Record<string, ReturnType<typeof cachedProbe>>;

/** Every dependency's state within `waitMs` (default 80 ms): `ok` only if all are. */
export async function dependencyHealth(probes: Probes, waitMs = 80) {
  const names = Object.keys(probes);
  const results = await Promise.all(names.map((n) => probes[n]!.read(waitMs)));
  const dependencies = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
  const ok = results.every((r) => r.state === "ok");
  return { status: ok ? ("ok" as const) : ("degraded" as const), dependencies };
}
