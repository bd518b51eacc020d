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
