import { defineConfig, type TestUserConfig } from "vitest/config";
import { suiteReporters } from "./vitest-reporters.mts";

/**
 * The one vitest preset every suite uses: tests beside the code (`src/**\/*.test.ts`), the JSON
 * report CI adds up, `TZ=UTC`, and random order (files and tests; a run prints its seed, and
 * `--sequence.seed=<n>` replays it). `stories: true` is for the lab suites, whose files bring up a
 * lab once and then walk it step by step: their files still run in random order, their tests in
 * the order written. Anything else (timeouts, one file at a time) is the suite's own.
 */
export function vitestPreset(suite: string, o: { stories?: boolean; test?: TestUserConfig } = {}) {
  return defineConfig({
    test: {
      include: ["src/**/*.test.ts"],
      reporters: suiteReporters(suite),
      env: { TZ: "UTC" },
      sequence: { shuffle: o.stories ? { files: true, tests: false } : true },
      ...o.test,
    },
  });
}
