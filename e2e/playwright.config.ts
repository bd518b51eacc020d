import path from "node:path";
import { defineConfig } from "@playwright/test";
import { useOwnDatabase } from "../scripts/test-support/suite-database.mts";

/**
 * End-to-end tests drive the real console (production build, real Postgres and
 * Redis) in Debian's Chromium. scripts/test.sh builds first and sets the env.
 */
const port = Number(process.env.E2E_PORT ?? 3210);
const baseURL = `http://127.0.0.1:${port}`;
const root = path.resolve(import.meta.dirname, "..");
const resultsDir = process.env.TEST_RESULTS_DIR ?? path.join(root, "test-results");
/** The console and the worker the journey starts share a queue no other worker reads (set once, inherited by test workers). */
process.env.E2E_QUEUE_PREFIX ??= `nvi-e2e-${Date.now().toString(36)}`;
/**
 * The journey's and the policy spec's workers serve every organization in their database: on the
 * database the unit suites share, they took those suites' leftover operations and spent their slots
 * on them. This run gets a database of its own (made and migrated here, dropped at teardown).
 */
// `playwright test --list` runs no test and no teardown: it must not make a database either
if (!process.argv.includes("--list")) useOwnDatabase("e2e");

export default defineConfig({
  testDir: "./tests",
  globalSetup: path.join(root, "scripts/test-support/suite-database.mts"),
  outputDir: path.join(resultsDir, "e2e-artifacts"),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: path.join(resultsDir, "playwright.json") }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: {
    command: `node ${path.join(root, "apps/web/server.mjs")}`,
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    // every spec signs up its own people from 127.0.0.1: more than the default 10 a minute when the machine is quick
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: baseURL,
      QUEUE_PREFIX: process.env.E2E_QUEUE_PREFIX,
      NVI_SIGNUPS_PER_MINUTE: "200",
    },
    stdout: "pipe",
    stderr: "pipe",
  },
});
