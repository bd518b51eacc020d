import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exec, sql, withDb } from "./pg.ts";

const SCRIPT = path.resolve(import.meta.dirname, "../backup.sh");
const SOURCE = process.env.DATABASE_URL;

/**
 * backup.sh's round trip on the real Postgres: the console's migrated database (DATABASE_URL) is
 * dumped, a few rows are changed after the dump, and a restore into a scratch database made for the
 * test, then over a database that drifted, gives back exactly what was dumped.
 */
describe.skipIf(!SOURCE)("backup.sh dump / restore", () => {
  const scratch = `nvi_restore_${Date.now().toString(36)}`;
  let dir: string;
  let target: string;
  const fingerprint = async (url: string) =>
    sql(
      url,
      `SELECT string_agg(t, ';' ORDER BY t) FROM (SELECT migration_name || ':' || coalesce(finished_at::text, '-') AS t FROM _prisma_migrations) m`,
    );

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-backup-"));
    target = withDb(SOURCE!, scratch);
    await sql(SOURCE!, `CREATE DATABASE ${scratch}`);
  });
  afterAll(async () => {
    await sql(SOURCE!, `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("restores the schema, the migrations and the rows, and replaces what drifted", async () => {
    const dump = path.join(dir, "nvi.dump");
    const before = { migrations: await fingerprint(SOURCE!), users: await sql(SOURCE!, "SELECT count(*) FROM users") };
    const { stdout } = await exec("bash", [SCRIPT, "dump", dump], { env: { ...process.env, DATABASE_URL: SOURCE } });
    expect(stdout).toMatch(/dumped to/);

    await exec("bash", [SCRIPT, "restore", dump], { env: { ...process.env, DATABASE_URL: target } });
    expect(await fingerprint(target)).toBe(before.migrations);
    expect(await sql(target, "SELECT count(*) FROM users")).toBe(before.users);

    // the restored database drifts (a row removed, a table emptied); a second restore puts the dump back
    await sql(
      target,
      "DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations)",
    );
    await sql(target, "TRUNCATE users CASCADE");
    await exec("bash", [SCRIPT, "restore", dump], { env: { ...process.env, DATABASE_URL: target } });
    expect(await fingerprint(target)).toBe(before.migrations);
    expect(await sql(target, "SELECT count(*) FROM users")).toBe(before.users);
  });

  it("refuses without a file, with its usage", async () => {
    const failed = await exec("bash", [SCRIPT, "restore", path.join(dir, "missing.dump")], {
      env: { ...process.env, DATABASE_URL: target },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/usage: backup\.sh restore FILE/) as unknown,
    });
  });
});
