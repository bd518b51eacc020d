import { createHash } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export * from "./generated/prisma/client.ts";
export { Prisma } from "./generated/prisma/client.ts";
export type { PrismaClient as Db } from "./generated/prisma/client.ts";

/**
 * Builds a client for one database URL. Construction opens nothing: the pool
 * connects on the first query, so `next build` works without a database.
 */
export function createDb(databaseUrl: string): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: 10 }, { statementNameGenerator: statementNames() }),
  });
}

/** Distinct statement texts a process names (prepares once per connection); any beyond run unnamed. */
export const NAMED_STATEMENTS_MAX = 2000;

/**
 * Names for Prisma's statements, so each pooled connection parses and plans a statement once and
 * then only binds and runs it (Postgres keeps named statements per connection; an unnamed one is
 * parsed and planned on every call, which was most of a console read's Postgres time). The name is
 * a digest of the text (one text, one name: `pg` refuses a name reused for another text). Texts
 * are bounded: the first `max` distinct ones are named, later ones run unnamed, so a query whose
 * text varies (an `IN` list of some length) cannot grow every connection's statement cache without end.
 */
export function statementNames(max = NAMED_STATEMENTS_MAX): (query: { sql: string }) => string {
  const named = new Map<string, string>();
  return ({ sql }) => {
    const known = named.get(sql);
    if (known !== undefined) return known;
    if (named.size >= max) return ""; // pg runs a statement with an empty name unnamed
    const name = `nvi_${createHash("sha256").update(sql).digest("base64url").slice(0, 24)}`;
    named.set(sql, name);
    return name;
  };
}

/** Prisma's error for a unique constraint, so repositories can translate it. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** A transaction client: what repositories receive inside `db.$transaction`. */
export type DbTx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

/**
 * LISTENs on a Postgres channel with a connection of its own (what `pg_notify` in a committed
 * transaction reaches). Reconnects after a second when the connection drops; `close` ends it.
 * `onListening` is called each time the LISTEN is in place (what a test waits for before it notifies).
 */
export function listenChannel(
  databaseUrl: string,
  channel: string,
  onMessage: (payload: string) => void,
  onError: (e: Error) => void = () => undefined,
  onListening: () => void = () => undefined,
): { close(): Promise<void> } {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: pg.Client | undefined;
  let closed = false;
  const connect = (): void => {
    const c = new pg.Client({ connectionString: databaseUrl });
    client = c;
    const retry = (e: Error): void => {
      onError(e);
      c.removeAllListeners();
      void c.end().catch(() => undefined);
      if (!closed) setTimeout(connect, 1000).unref();
    };
    c.on("notification", (n) => n.channel === channel && onMessage(n.payload ?? ""));
    c.on("error", retry);
    c.connect()
      .then(() => c.query(`LISTEN ${channel}`))
      .then(() => onListening())
      .catch(retry);
  };
  connect();
  return {
    close: async () => {
      closed = true;
      await client?.end().catch(() => undefined);
    },
  };
}
