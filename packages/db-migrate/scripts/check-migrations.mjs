// CI check: do prisma/migrations build exactly the schema in prisma/schema.prisma?
// Builds two scratch databases, one by applying the migrations and one straight
// from the schema, and compares their catalogs (tables, columns, types, defaults,
// indexes, constraints, enums). Needs DATABASE_URL for a role with CREATEDB.
import { execFileSync } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { derivedPath, pkgDir, writeDerived } from "./schema-files.mjs";

const base = process.env.DATABASE_URL;
if (!base) {
  console.error("check-migrations: DATABASE_URL is not set");
  process.exit(2);
}
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const names = { migrated: `nvi_check_m_${suffix}`, fromSchema: `nvi_check_s_${suffix}` };
const urlFor = (db) => {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
};

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const CATALOG_QUERIES = {
  columns: `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
  indexes: `SELECT tablename, indexname, indexdef FROM pg_indexes
            WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
  constraints: `SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'`,
  enums: `SELECT t.typname, e.enumlabel, e.enumsortorder FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid`,
};

async function catalog(url) {
  return withClient(url, async (client) => {
    const out = {};
    for (const [key, sql] of Object.entries(CATALOG_QUERIES)) {
      const { rows } = await client.query(sql);
      out[key] = rows.map((r) => JSON.stringify(r)).sort();
    }
    return out;
  });
}

function prisma(args, url) {
  return execFileSync("pnpm", ["exec", "prisma", ...args], {
    cwd: pkgDir,
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

let failed = false;
await withClient(base, async (c) => {
  for (const db of Object.values(names)) await c.query(`CREATE DATABASE ${db}`);
});
try {
  writeDerived();
  prisma(["migrate", "deploy"], urlFor(names.migrated));
  const sql = prisma(
    ["migrate", "diff", "--from-empty", "--to-schema-datamodel", derivedPath, "--script"],
    urlFor(names.fromSchema),
  );
  await withClient(urlFor(names.fromSchema), (c) => c.query(sql));
  const [a, b] = [await catalog(urlFor(names.migrated)), await catalog(urlFor(names.fromSchema))];
  for (const key of Object.keys(CATALOG_QUERIES)) {
    const onlyMigrated = a[key].filter((x) => !b[key].includes(x));
    const onlySchema = b[key].filter((x) => !a[key].includes(x));
    if (onlyMigrated.length || onlySchema.length) {
      failed = true;
      console.error(`\n${key} differ between prisma/migrations and prisma/schema.prisma:`);
      for (const x of onlyMigrated) console.error(`  only in migrations: ${x}`);
      for (const x of onlySchema) console.error(`  only in schema:     ${x}`);
    }
  }
} finally {
  await withClient(base, async (c) => {
    for (const db of Object.values(names)) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });
}
if (failed) {
  console.error(
    `\nRun \`pnpm db:new <name>\` to write the missing migration (${path.relative(process.cwd(), derivedPath)}).`,
  );
  process.exit(1);
}
console.log("migrations match prisma/schema.prisma");
