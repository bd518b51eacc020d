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
export const NAMED_STATEMENTS_MAX = 500;
/** A statement with more parameters than this runs unnamed: its text varies with a list's length (`IN ($1, …, $n)`). */
export const NAMED_STATEMENT_MAX_PARAMS = 16;

/**
 * Names for Prisma's statements, so each pooled connection parses and plans a statement once and
 * then only binds and runs it (Postgres keeps named statements per connection; an unnamed one is
 * parsed and planned on every call, which was most of a console read's Postgres time). The name is
 * a digest of the text (one text, one name: `pg` refuses a name reused for another text). Texts
 * are bounded, so a query whose text varies (an `IN` list whose length a tenant picks) cannot grow
 * every connection's statement cache without end: a statement with more than
 * `NAMED_STATEMENT_MAX_PARAMS` parameters runs unnamed (a list site names at most that many texts),
 * and of the rest the first `max` distinct texts are named, later ones run unnamed.
 * A migration that changes the type of a column a named statement returns makes Postgres refuse it
 * on the connections that prepared it ("cached plan must not change result type"): restart the
 * console and the worker after such a migration (they restart on every upgrade anyway).
 */
export function statementNames(max = NAMED_STATEMENTS_MAX): (query: { sql: string; args: unknown[] }) => string {
  const named = new Map<string, string>();
  return ({ sql, args }) => {
    const known = named.get(sql);
    if (known !== undefined) return known;
    // pg runs a statement with an empty name unnamed
    if (named.size >= max || args.length > NAMED_STATEMENT_MAX_PARAMS) return "";
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

/** How often a listener asks its connection for a reply, and how long it waits for one before reconnecting. */
export const LISTEN_HEARTBEAT_MS = 5_000;

/**
 * LISTENs on a Postgres channel with a connection of its own (what `pg_notify` in a committed
 * transaction reaches). Reconnects after a second when the connection drops; `close` ends it.
 * `onListening` is called each time the LISTEN is in place (what a test waits for before it notifies).
 * A connection dropped silently (a NAT or a balancer forgetting it: no error, no notice ever again)
 * is found by a heartbeat: TCP keepalive, and a `SELECT 1` every `LISTEN_HEARTBEAT_MS` that must be
 * answered within as long, else `onError` and a reconnect.
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
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;
  const connect = (): void => {
    if (closed) return;
    const c = new pg.Client({ connectionString: databaseUrl, keepAlive: true, query_timeout: LISTEN_HEARTBEAT_MS });
    client = c;
    let failed = false;
    const retry = (e: Error): void => {
      if (failed) return; // one reconnect per connection, whichever of its errors came first
      failed = true;
      clearInterval(heartbeat);
      onError(e);
      c.removeAllListeners();
      c.on("error", () => undefined);
      void c.end().catch(() => undefined);
      if (!closed) setTimeout(connect, 1000).unref();
    };
    c.on("notification", (n) => n.channel === channel && onMessage(n.payload ?? ""));
    c.on("error", retry);
    c.connect()
      .then(() => c.query(`LISTEN ${channel}`))
      .then(() => {
        if (closed || failed) return;
        heartbeat = setInterval(() => void c.query("SELECT 1").catch(retry), LISTEN_HEARTBEAT_MS).unref();
        onListening();
      })
      .catch(retry);
  };
  connect();
  return {
    close: async () => {
      closed = true;
      clearInterval(heartbeat);
      await client?.end().catch(() => undefined);
    },
  };
}
