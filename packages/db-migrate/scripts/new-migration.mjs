// `pnpm db:new <name>`: the SQL that takes the last migrated schema to the current
// one, written as a Prisma migration folder. Replaces `prisma migrate dev`, which
// needs live-database introspection that the js engine cannot do.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { derivedPath, migrationsDir, pkgDir, snapshotPath, writeDerived, writeSnapshot } from "./schema-files.mjs";

const name = (process.argv[2] ?? "").trim();
if (!/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: pnpm db:new <name>   (lowercase letters, digits and _)");
  process.exit(2);
}
process.env.DATABASE_URL ??= "postgresql://unused@127.0.0.1/unused";
writeDerived();
const from = existsSync(snapshotPath)
  ? ["--from-schema-datamodel", writeDerived(snapshotPath, path.join(pkgDir, "prisma/snapshot.prisma"))]
  : ["--from-empty"];
const sql = execFileSync(
  "pnpm",
  ["exec", "prisma", "migrate", "diff", ...from, "--to-schema-datamodel", derivedPath, "--script"],
  {
    cwd: pkgDir,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  },
);
if (!/^\s*(CREATE|ALTER|DROP)/m.test(sql)) {
  console.log("No schema changes.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "migration.sql"), sql);
writeFileSync(path.join(migrationsDir, "migration_lock.toml"), 'provider = "postgresql"\n');
writeSnapshot();
console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
