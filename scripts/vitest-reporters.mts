import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Every suite prints to the terminal and also writes a JSON report under
 * test-results/, which scripts/test-summary.mjs adds up into the one
 * `N passed, N failed` line CI reads.
 */
export function suiteReporters(suite: string) {
  const dir = process.env.TEST_RESULTS_DIR ?? path.join(root, "test-results");
  return ["default", ["json", { outputFile: path.join(dir, `vitest-${suite}.json`) }]] as [
    string,
    ...unknown[],
  ][] as never;
}
