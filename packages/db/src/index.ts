import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export * from "./generated/prisma/client.ts";
export { Prisma } from "./generated/prisma/client.ts";
export type { PrismaClient as Db } from "./generated/prisma/client.ts";

/**
 * Builds a client for one database URL. Construction opens nothing: the pool
 * connects on the first query, so `next build` works without a database.
 */
export function createDb(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }) });
}

/** Prisma's error for a unique constraint, so repositories can translate it. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** A transaction client: what repositories receive inside `db.$transaction`. */
export type DbTx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];
