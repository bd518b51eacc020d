import type { SerialGate } from "./serial/sessions.ts";
import {
  authenticateApiToken,
  resolveUserActor,
  DomainError,
  type Actor,
  type CoreDeps,
  type OperationQueue,
} from "@nvi/core";

export const ORG_COOKIE = "nvi_org";

export interface SessionUser {
  userId: string;
  email: string;
}

export interface ApiContextInput {
  deps: CoreDeps;
  headers: Headers;
  /** The HTTP method; browser-session requests that change state must come from the console's own origin. */
  method?: string;
  sourceIp: string | null;
  /** The console's public address, written into join strings for agents. */
  publicUrl: string;
  /** Reads the browser session from the request's cookies (better-auth in the console). */
  getSessionUser: (headers: Headers) => Promise<SessionUser | null>;
  /** Where host-touching operations are queued (BullMQ); absent = launching is refused with a clear error. */
  operations?: OperationQueue | undefined;
  /** The serial console relay's tickets (Redis); absent = the serial console is refused with a clear error. */
  serial?: SerialGate | undefined;
}

export interface ApiContext {
  deps: CoreDeps;
  sourceIp: string | null;
  publicUrl: string;
  /** The raw bearer secret, for callers that are not tenants (host agents). */
  bearer: string | null;
  /** The signed-in browser user, if the request carries a session and no bearer token. */
  sessionUser: () => Promise<SessionUser | null>;
  /** Who is asking; throws UNAUTHENTICATED when nobody is. Memoised per request. */
  actor: () => Promise<Actor>;
  operations: OperationQueue | null;
  serial: SerialGate | null;
}

function readCookie(headers: Headers, name: string): string | null {
  const raw = headers.get("cookie");
  if (!raw) return null;
  for (const part of raw.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join("="));
    } catch {
      return null; // a mangled cookie selects nothing
    }
  }
  return null;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Cookies ride along on cross-site requests (SameSite=Lax stops most, not sibling subdomains), so
 * a change made with the browser session must say where it comes from, as better-auth requires for
 * its own routes: the Origin header (a browser sends it on every POST/PATCH/PUT/DELETE, same-origin
 * ones included), else the Referer, and it must be the console's own. None, or the opaque "null"
 * (unless the browser itself says same-origin), is refused. API tokens carry no ambient authority
 * and are never asked for one.
 */
export function isCrossSiteWrite(input: Pick<ApiContextInput, "headers" | "method" | "publicUrl">): boolean {
  if (SAFE_METHODS.has((input.method ?? "GET").toUpperCase())) return false;
  const origin = input.headers.get("origin");
  if (origin === "null") return input.headers.get("sec-fetch-site") !== "same-origin";
  const claimed = origin || input.headers.get("referer");
  if (!claimed) return true;
  try {
    return new URL(claimed).origin !== new URL(input.publicUrl).origin;
  } catch {
    return true;
  }
}

function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

/**
 * A bearer token, when present, is the only credential looked at: a request with a
 * bad token is refused even if it also carries a session cookie.
 */
export function createApiContext(input: ApiContextInput): ApiContext {
  const authorization = input.headers.get("authorization");
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim() ?? null;
  const sessionUser = memo(async () => {
    if (bearer || authorization) return null;
    const user = await input.getSessionUser(input.headers);
    if (user && isCrossSiteWrite(input)) {
      throw new DomainError(
        "CROSS_SITE_REQUEST",
        "this change was sent from another site; use the console, or an API token",
      );
    }
    return user;
  });
  const actor = memo(async () => {
    if (authorization && !bearer)
      throw new DomainError("UNAUTHENTICATED", "the Authorization header must be `Bearer <token>`");
    if (bearer) return authenticateApiToken(input.deps, bearer, input.sourceIp);
    const user = await sessionUser();
    if (!user)
      throw new DomainError("UNAUTHENTICATED", "sign in or send an API token as `Authorization: Bearer <token>`");
    return resolveUserActor(input.deps, {
      userId: user.userId,
      preferredOrgId: readCookie(input.headers, ORG_COOKIE),
      sourceIp: input.sourceIp,
    });
  });
  return {
    deps: input.deps,
    sourceIp: input.sourceIp,
    publicUrl: input.publicUrl,
    bearer,
    sessionUser,
    actor,
    operations: input.operations ?? null,
    serial: input.serial ?? null,
  };
}
