/**
 * The release of NVI this tree builds: the console, the worker and the agent bundle carry it. The
 * agent reports it with its facts (`agentVersion`); the console flags hosts whose agent is older.
 */
export const NVI_VERSION = "0.1.0";

/** `a` is an older release than `b` (dotted numbers, compared field by field; a suffix after `-` is ignored). */
export function olderRelease(a: string, b: string): boolean {
  const parts = (v: string) => (v.split("-")[0] ?? "").split(".").map((n) => Number.parseInt(n, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}
