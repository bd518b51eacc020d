import { DomainError } from "./errors.ts";

// A dependency outage is an answer ("retry in a moment"), not an incident: the API turns these
// errors into 503 with Retry-After and a stable code, at the one seam where errors become answers.

/** Prisma's codes for a database it cannot reach, lost, or waited too long for. */
const DATABASE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
/** The driver adapter's kinds for the same, and Postgres's own "shutting down / starting up" states. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const POSTGRES_STATES = new Set(["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"]);
/** ioredis's ways of saying Redis is not there. */
const REDIS_MESSAGES = [/max retries per request/i, /connection is closed/i, /stream isn't writeable/i];
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"]);

type Loose = {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
};

/** Which dependency an error says is unreachable, if any: "postgres", "redis" or null. */
export function unavailableDependency(error: unknown): "postgres" | "redis" | null {
  if (typeof error !== "object" || error === null) return null;
  const e = error as Loose;
  const adapter = e.meta?.driverAdapterError?.cause;
  if (typeof e.code === "string" && DATABASE_CODES.has(e.code)) return "postgres";
  if (typeof adapter?.kind === "string" && ADAPTER_KINDS.has(adapter.kind)) return "postgres";
  if (typeof adapter?.originalCode === "string" && POSTGRES_STATES.has(adapter.originalCode)) return "postgres";
  const message = typeof e.message === "string" ? e.message : "";
  if (e.name === "MaxRetriesPerRequestError" || REDIS_MESSAGES.some((r) => r.test(message))) return "redis";
  if (typeof e.code === "string" && SOCKET_CODES.has(e.code) && /redis|6379/i.test(message)) return "redis";
  return null;
}

/** Seconds a client should wait before it retries a request a dependency outage refused. */
export const RETRY_AFTER_SECONDS = 2;

/** The answer for an outage: DATABASE_UNAVAILABLE or QUEUE_UNAVAILABLE (503, Retry-After), or null if it is not one. */
export function unavailableError(error: unknown): DomainError | null {
  const dependency = unavailableDependency(error);
  if (dependency === "postgres")
    return new DomainError("DATABASE_UNAVAILABLE", "the console is reconnecting to its database; retry in a moment", {
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  if (dependency === "redis")
    return new DomainError("QUEUE_UNAVAILABLE", "the console is reconnecting to its queue (Redis); retry in a moment", {
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  return null;
}
