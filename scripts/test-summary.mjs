// Adds up every suite's JSON report in test-results/ into the one line CI reads:
// `N passed, N failed` (and skipped). Suites that crashed before writing a report
// are passed on the command line as `--missing name` and count as one failure each.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

const dir = process.env.TEST_RESULTS_DIR ?? path.resolve(import.meta.dirname, "../test-results");
const missing = process.argv.flatMap((a, i, all) => (all[i - 1] === "--missing" ? [a] : []));
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];

for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
  if (!file.endsWith(".json")) continue;
  const report = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  let p, f, s;
  if (file.startsWith("vitest-")) {
    p = report.numPassedTests ?? 0;
    f =
      (report.numFailedTests ?? 0) +
      (report.testResults ?? []).filter((r) => r.status === "failed" && r.assertionResults?.length === 0).length;
    s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    // A run that failed with no failing test (no test files, a crash in setup) is still a failure.
    if (report.success === false && f === 0) f = 1;
  } else if (file === "playwright.json") {
    p = (report.stats?.expected ?? 0) + (report.stats?.flaky ?? 0);
    f = (report.stats?.unexpected ?? 0) + (report.errors?.length ?? 0);
    s = report.stats?.skipped ?? 0;
  } else continue;
  rows.push(
    `  ${file.replace(/^vitest-|\.json$/g, "").padEnd(14)} ${String(p).padStart(4)} passed ${String(f).padStart(3)} failed ${String(s).padStart(3)} skipped`,
  );
  passed += p;
  failed += f;
  skipped += s;
}
for (const name of missing) {
  rows.push(`  ${name.padEnd(14)} no report (the suite crashed or did not start): counted as 1 failure`);
  failed += 1;
}
console.log("\nTest suites:");
console.log(rows.join("\n") || "  (none)");
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
