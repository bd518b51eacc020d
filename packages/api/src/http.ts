import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createOpenApiNodeHttpHandler, generateOpenApiDocument } from "trpc-to-openapi";
import { documentAccepted, isAccepted } from "./accepted.ts";
import type { ApiContext } from "./context.ts";
import { errorData } from "./errors.ts";
import { unstorableStringAt } from "./input-guard.ts";
import { readGate } from "./read-gate.ts";
import { appRouter } from "./root.ts";

/**
 * Requests larger than this are refused before any parsing. The largest legitimate body is a VM's
 * launch with its cloud-init user-data (64 Ki characters, more once JSON-escaped or in UTF-8).
 */
export const MAX_BODY_BYTES = 256 * 1024;
export const REST_PREFIX = "/api/v1";
export const TRPC_PREFIX = "/api/trpc";
export const MAX_BATCH_SIZE = 10;

function jsonError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Response {
  return Response.json({ code, message, ...extra }, { status });
}

type Checked = { ok: true; request: Request } | { ok: false; response: Response };

/**
 * Reads at most MAX_BODY_BYTES of the body (a lying Content-Length does not help),
 * and for JSON bodies says where the JSON is broken (and, if asked, refuses text no column can
 * hold: a NUL, a lone surrogate). Returns a fresh Request to hand on.
 */
export async function checkBody(req: Request, options: { refuseUnstorableText?: boolean } = {}): Promise<Checked> {
  if (req.method === "GET" || req.method === "HEAD" || !req.body) return { ok: true, request: req };
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    return {
      ok: false,
      response: jsonError(413, "PAYLOAD_TOO_LARGE", `request body is larger than ${MAX_BODY_BYTES} bytes`),
    };
  }
  const reader = (req.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return {
        ok: false,
        response: jsonError(413, "PAYLOAD_TOO_LARGE", `request body is larger than ${MAX_BODY_BYTES} bytes`),
      };
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if ((req.headers.get("content-type") ?? "").includes("application/json") && text.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return {
        ok: false,
        response: jsonError(400, "BAD_REQUEST", `request body is not valid JSON: ${(error as Error).message}`),
      };
    }
    // the refusal every procedure gives (trpc.ts, in tRPC's error shape), for routes that are not procedures (better-auth's)
    const found = options.refuseUnstorableText ? unstorableStringAt(parsed) : null;
    if (found) {
      const message = `${found.path || "body"}: text may not contain ${found.problem}`;
      return {
        ok: false,
        response: jsonError(400, "BAD_REQUEST", message, {
          data: { domainCode: "VALIDATION_FAILED", field: found.path || null },
        }),
      };
    }
  }
  return { ok: true, request: new Request(req.url, { method: req.method, headers: req.headers, body: text }) };
}

export type ContextFactory = (req: Request) => ApiContext;

export interface HandlerOptions {
  onInternalError?: (error: unknown, path: string | undefined) => void;
}

/** Only unexpected failures are worth a log line; domain errors are answers, not incidents. */
function reportInternal(options: HandlerOptions) {
  return ({ error, path }: { error: { code: string; cause?: unknown }; path?: string | undefined }) => {
    if (error.code === "INTERNAL_SERVER_ERROR") options.onInternalError?.(error.cause ?? error, path);
  };
}

/** A refusal that says when to come back (a dependency outage, a burst) says it in `Retry-After` too. */
function retryAfter({ errors }: { errors: TRPCError[] }): { headers?: Record<string, string> } {
  const seconds = errors.map((e) => errorData(e).retryAfterSeconds).find((s) => s !== null);
  return seconds ? { headers: { "Retry-After": String(seconds) } } : {};
}

/** REST: what `retryAfter` says, and `202` for a change answered with its operation (`accepted.ts`). */
function restMeta(o: { errors: TRPCError[]; data: unknown[]; paths?: readonly string[] | undefined }): {
  status?: number;
  headers?: Record<string, string>;
} {
  if (o.errors.length) return retryAfter(o);
  return isAccepted(o.paths?.[0], o.data[0]) ? { status: 202 } : {};
}

type RestCall = { createContext: () => ApiContext; onError: ReturnType<typeof reportInternal> };
/** Per-request state of the one shared REST handler, keyed by the request object it is handed. */
const restCalls = new WeakMap<object, RestCall>();
let restHandler: ((req: never, res: never) => Promise<void>) | undefined;

/**
 * trpc-to-openapi's fetch adapter builds its handler (procedure table, and outside production the
 * whole OpenAPI document) on every request; this builds it once and does the adapter's small part
 * (path without the prefix, the parsed JSON body, a response shim) per request.
 */
function sharedRestHandler() {
  return (restHandler ??= createOpenApiNodeHttpHandler({
    router: appRouter,
    createContext: ({ req }: { req: object }) => restCalls.get(req)!.createContext(),
    responseMeta: restMeta,
    onError: (opts: { error: { code: string; cause?: unknown }; path?: string | undefined; req: object }) =>
      restCalls.get(opts.req)?.onError(opts),
  }) as never);
}

/** An entry point that sees a request only once `checkBody` passed it (size cap, broken JSON); a refused one is answered here. */
function checkedFirst(
  handle: (request: Request, createContext: ContextFactory, options: HandlerOptions) => Promise<Response>,
) {
  return async (req: Request, createContext: ContextFactory, options: HandlerOptions = {}): Promise<Response> => {
    const checked = await checkBody(req);
    if (!checked.ok) return checked.response;
    // reads take turns (a few at once), changes go straight through: see read-gate.ts
    return readGate.admit(checked.request.method, () => handle(checked.request, createContext, options));
  };
}

export const handleRest = checkedFirst(async (request, createContext, options) => {
  const text = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
  let body: { ok: true; value: unknown } | { ok: false; cause: unknown } = { ok: true, value: undefined };
  if ((request.headers.get("content-type") ?? "").includes("application/json")) {
    try {
      body = { ok: true, value: JSON.parse(text) };
    } catch (cause) {
      body = { ok: false, cause };
    }
  }
  const url = request.url.replace(REST_PREFIX, "");
  const proxy = new Proxy(request, {
    get(target, prop) {
      if (prop === "url") return url;
      if (prop === "body") {
        if (!body.ok)
          throw new TRPCError({ code: "PARSE_ERROR", message: "Failed to parse request body", cause: body.cause });
        return body.value;
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  restCalls.set(proxy, { createContext: () => createContext(request), onError: reportInternal(options) });
  return new Promise<Response>((resolve) => {
    const headers = new Headers();
    let status = 200;
    const res = {
      setHeader: (key: string, value: string | string[]) =>
        typeof value === "string" ? headers.set(key, value) : value.forEach((v) => headers.append(key, v)),
      get statusCode() {
        return status;
      },
      set statusCode(code: number) {
        status = code;
      },
      end: (payload?: string) => resolve(new Response(payload, { status, headers })),
    };
    void (sharedRestHandler() as unknown as (req: unknown, res: unknown) => Promise<void>)(proxy, res);
  });
});

export const handleTrpc = checkedFirst((request, createContext, options) =>
  fetchRequestHandler({
    endpoint: TRPC_PREFIX,
    router: appRouter,
    // Batching saves the console round trips; a cap keeps one request from carrying a thousand calls.
    maxBatchSize: MAX_BATCH_SIZE,
    req: request,
    createContext: () => createContext(request),
    responseMeta: retryAfter,
    onError: reportInternal(options),
  }),
);

let cachedDocument: ReturnType<typeof generateOpenApiDocument> | undefined;

/** The OpenAPI 3 document, generated from the same procedures tRPC serves. */
export function openApiDocument(baseUrl: string) {
  cachedDocument ??= documentAccepted(
    generateOpenApiDocument(appRouter, {
      title: "NVI multi-cloud VPC console API",
      version: "1.0.0",
      description:
        "Everything the console does, for scripts. Authenticate with `Authorization: Bearer nvi_…` (create a token under Tokens). " +
        "Errors are JSON `{ code, message, data: { domainCode, field, issues } }`.",
      baseUrl: `${baseUrl}${REST_PREFIX}`,
      tags: ["account", "organizations", "members", "tokens", "ssh-keys", "audit", "clouds", "vpcs", "agent"],
    }),
  );
  return { ...cachedDocument, servers: [{ url: `${baseUrl}${REST_PREFIX}` }] };
}
