import { createApiContext, type ApiContext } from "@nvi/api";
import { webEnv } from "../env.ts";
import { coreDeps, operationQueue, serialGate, sourceIpOf } from "./deps.ts";
import { sessionUserOf } from "./auth.ts";

/** Builds the API context for one console request: session cookie or bearer token. */
export function contextFor(req: Request): ApiContext {
  return contextOf(req.headers, req.method);
}

/** The same from a request's headers and method (a server component's prefetch: GET, the page's own cookies). */
export function contextOf(headers: Headers, method: string): ApiContext {
  return createApiContext({
    deps: coreDeps(),
    headers,
    method,
    sourceIp: sourceIpOf(headers),
    publicUrl: webEnv().PUBLIC_URL,
    getSessionUser: sessionUserOf,
    operations: operationQueue(),
    serial: serialGate(),
  });
}

export function logInternalError(error: unknown, path: string | undefined): void {
  console.error(
    JSON.stringify({
      level: "error",
      msg: "api internal error",
      path,
      error: error instanceof Error ? error.message : String(error),
    }),
  );
}
