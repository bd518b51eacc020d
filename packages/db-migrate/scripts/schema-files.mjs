import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repoDir = path.resolve(pkgDir, "../..");
export const schemaPath = path.join(repoDir, "prisma/schema.prisma");
export const migrationsDir = path.join(repoDir, "prisma/migrations");
/** The schema as of the newest migration, this tool's snapshot (labelled as such); `db:new` diffs against it. */
export const snapshotPath = path.join(repoDir, "prisma/migrated-schema.prisma");
export const SNAPSHOT_LABEL = [
  "// SNAPSHOT, not the schema: packages/db-migrate's copy of prisma/schema.prisma as of the newest",
  "// migration, written by `pnpm db:new` and diffed against by the next one. Never edit it: edit",
  "// prisma/schema.prisma and run `pnpm db:new <name>`.",
  "",
].join("\n");

/** Writes the snapshot: the schema, under its label. */
export function writeSnapshot(source = schemaPath, target = snapshotPath) {
  writeFileSync(target, SNAPSHOT_LABEL + "\n" + readFileSync(source, "utf8"));
}
export const derivedPath = path.join(pkgDir, "prisma/schema.prisma");

/**
 * Prisma 7 rejects `url` in the datasource; Prisma 6 requires it, and needs
 * `engineType = "client"` or it downloads a native query engine.
 */
export function toPrisma6(schema) {
  let s = schema.replace(/(datasource\s+\w+\s*\{[^}]*?provider\s*=\s*"[^"]+")/, '$1\n  url      = env("DATABASE_URL")');
  if (!/engineType\s*=/.test(s)) s = s.replace(/(generator\s+\w+\s*\{)/, '$1\n  engineType = "client"');
  return s;
}

export function writeDerived(source = schemaPath, target = derivedPath) {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, toPrisma6(readFileSync(source, "utf8")));
  return target;
}
