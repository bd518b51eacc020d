/**
 * The lab's faults (kill -9 of each process, Postgres and Redis outages, worker and Redis together):
 * runs issue 18's fault suite (`infra/dataplane/src/faults.integration.test.ts`) RUNS times and prints
 * the p50 of the time from each fault's end to its operation's end, as the suite prints them.
 *
 *   flock /tmp/nvi-heavy.lock node --import tsx bench/faults/lab.ts
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const RUNS = Number(process.env.RUNS ?? 5);
const dataplane = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../infra/dataplane");
const times = new Map<string, number[]>();
for (let i = 0; i < RUNS; i++) {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  const r = spawnSync("npx", ["vitest", "run", "src/faults.integration.test.ts"], { cwd: dataplane, encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`run ${i} failed:\n${out.slice(-4000)}`);
  for (const m of out.matchAll(/^ {2}(.+): ([\d.]+) s$/gm))
    times.set(m[1]!, [...(times.get(m[1]!) ?? []), Number(m[2])]);
  process.stderr.write(`run ${i + 1}/${RUNS} done (load before: ${load})\n`);
}
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
console.log(`| fault (lab) | recovery p50 of ${RUNS} | max |`);
console.log("|---|---|---|");
for (const [fault, xs] of times)
  console.log(`| ${fault} | ${p50(xs).toFixed(1)} s | ${Math.max(...xs).toFixed(1)} s |`);
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
