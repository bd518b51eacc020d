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
// Which tests failed, by name and first line of their error, so the tail of a CI log says what
// to look at even when the suite's own output was cut.
const failures = [];
const firstLine = (text) =>
  String(text ?? "")
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .find((l) => l.trim()) ?? "";

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
    for (const suite of report.testResults ?? []) {
      const where = path.relative(process.cwd(), suite.name ?? "");
      if (suite.status === "failed" && !suite.assertionResults?.length)
        failures.push(`${where}: ${firstLine(suite.message)}`);
      for (const t of suite.assertionResults ?? []) {
        if (t.status === "failed") failures.push(`${where} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
      }
    }
  } else if (file === "playwright.json") {
    p = (report.stats?.expected ?? 0) + (report.stats?.flaky ?? 0);
    f = (report.stats?.unexpected ?? 0) + (report.errors?.length ?? 0);
    s = report.stats?.skipped ?? 0;
    const walk = (suite) => {
      for (const spec of suite.specs ?? []) {
        for (const t of spec.tests ?? []) {
          if (t.status !== "unexpected") continue;
          const err = t.results?.at(-1)?.error?.message;
          failures.push(`e2e/${spec.file}:${spec.line} > ${spec.title}: ${firstLine(err)}`);
        }
      }
      for (const child of suite.suites ?? []) walk(child);
    };
    for (const suite of report.suites ?? []) walk(suite);
    for (const e of report.errors ?? []) failures.push(`playwright: ${firstLine(e.message)}`);
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
if (failures.length > 0) {
  console.log("\nFailed tests:");
  for (const line of failures) console.log(`  ${line.length > 400 ? `${line.slice(0, 400)}…` : line}`);
}
console.log("\nTest suites:");
console.log(rows.join("\n") || "  (none)");
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
