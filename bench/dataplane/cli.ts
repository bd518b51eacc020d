/** What the data-path benchmarks share: their numeric flags, the load in a line, a shell command in a namespace. */
import os from "node:os";
import { tryRun } from "../../infra/lab/src/index.ts";

/** The number after `--name` on the command line, or `fallback`. */
export const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

/** The machine's load averages (1, 5, 15 min), for every printed figure. */
export const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

/** `cmd` through `sh -c` inside namespace `ns`. */
export const sh = (ns: string, cmd: string, timeoutMs = 60_000) =>
  tryRun("ip", ["netns", "exec", ns, "sh", "-c", cmd], { timeoutMs });

/**
 * `ab` from namespace `ns` against `url` for `seconds` (20 at once, no keep-alive): connections per
 * second (NaN when ab failed) and a line for people (done, failed, the slowest; or why ab failed).
 */
export async function connectionsPerSecond(
  ns: string,
  url: string,
  seconds: number,
): Promise<{ rps: number; text: string }> {
  const r = await sh(ns, `ab -q -r -s 10 -t ${seconds} -n 100000000 -c 20 ${url}`, (seconds + 60) * 1000);
  if (!r.ok) return { rps: NaN, text: `ab failed: ${r.out.trim().split("\n").slice(-3).join(" | ")}` };
  const num = (re: RegExp): number => Number(re.exec(r.out)?.[1] ?? NaN);
  const rps = num(/Requests per second:\s+([\d.]+)/);
  return {
    rps,
    text: `${rps.toFixed(0)}/s (${num(/Complete requests:\s+(\d+)/)} done, ${num(/Failed requests:\s+(\d+)/)} failed, slowest ${num(/100%\s+(\d+)/)} ms)`,
  };
}
