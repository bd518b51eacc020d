import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A suite that starts real workers (the data-plane suite, the browser suite) runs against a
 * database of its own. A worker serves every organization in its database: the outbox relay sends
 * any operation not yet in Redis to its own queue, the policy fast path starts any policy change it
 * hears of, the fabric reads every host. Sharing the database with the unit suites made those
 * workers take the unit tests' leftover operations: in CI the browser suite's worker spent its
 * slots on them while the journey's "stop" waited. Made (and migrated) once when the runner loads
 * its config, before any test process starts; dropped by the teardown that `setup` returns (vitest
 * `globalSetup` and Playwright `globalSetup` both call it so).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const psql = (url: string, statement: string) =>
  execFileSync("psql", ["-qtAX", "-v", "ON_ERROR_STOP=1", url, "-c", statement], { stdio: "pipe" });

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Points DATABASE_URL at a fresh, migrated database for this run; returns its name (null without DATABASE_URL). */
export function useOwnDatabase(suite: string): string | null {
  const shared = process.env.DATABASE_URL;
  if (!shared || process.env.NVI_SUITE_DATABASE) return process.env.NVI_SUITE_DATABASE ?? null;
  const name = `nvi_${suite}_${process.pid}`;
  psql(shared, `CREATE DATABASE ${name}`);
  const own = withDb(shared, name);
  execFileSync("pnpm", ["--silent", "db:deploy"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: own },
    stdio: "pipe",
  });
  process.env.NVI_SHARED_DATABASE_URL = shared;
  process.env.NVI_SUITE_DATABASE = name;
  process.env.DATABASE_URL = own;
  return name;
}

/** `globalSetup` (vitest or Playwright): the teardown it returns drops the suite's database. */
export default function setup(): () => void {
  return () => {
    const shared = process.env.NVI_SHARED_DATABASE_URL;
    const name = process.env.NVI_SUITE_DATABASE;
    if (shared && name) psql(shared, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
}
