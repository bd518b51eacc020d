// Prisma 6.19.3 in "js" engine mode: the WebAssembly schema engine, shipped on npm.
// Prisma 7's CLI needs a native engine downloaded from outside npm, which these
// machines (and many air-gapped sites) cannot fetch. adapter-pg 7.10.0 on purpose:
// 6.19.3's adapter cannot read pg's `name` columns (prisma/orm#27403).
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "../../prisma/migrations" },
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "", idleTimeoutMillis: 200, allowExitOnIdle: true }),
});
