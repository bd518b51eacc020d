import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createOpenApiFetchHandler, generateOpenApiDocument } from "trpc-to-openapi";
import type { ApiContext } from "./context.ts";
import { appRouter } from "./root.ts";

/** Requests larger than this are refused before any parsing (64 KiB is ample for this API). */
export const MAX_BODY_BYTES = 64 * 1024;
export const REST_PREFIX = "/api/v1";
export const TRPC_PREFIX = "/api/trpc";
export const MAX_BATCH_SIZE = 10;

function jsonError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): Response {
  return Response.json({ code, message, ...extra }, { status });
}

type Checked = { ok: true; request: Request } | { ok: false; response: Response };

/**
 * Reads at most MAX_BODY_BYTES of the body (a lying Content-Length does not help),
 * and for JSON bodies says where the JSON is broken. Returns a fresh Request to hand on.
 */
export async function checkBody(req: Request): Promise<Checked> {
  if (req.method === "GET" || req.method === "HEAD" || !req.body) return { ok: true, request: req };
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    return { ok: false, response: jsonError(413, "PAYLOAD_TOO_LARGE", `request body is larger than ${MAX_BODY_BYTES} bytes`) };
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
      return { ok: false, response: jsonError(413, "PAYLOAD_TOO_LARGE", `request body is larger than ${MAX_BODY_BYTES} bytes`) };
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if ((req.headers.get("content-type") ?? "").includes("application/json") && text.trim() !== "") {
    try {
      JSON.parse(text);
    } catch (error) {
      return { ok: false, response: jsonError(400, "BAD_REQUEST", `request body is not valid JSON: ${(error as Error).message}`) };
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

export async function handleRest(req: Request, createContext: ContextFactory, options: HandlerOptions = {}): Promise<Response> {
  const checked = await checkBody(req);
  if (!checked.ok) return checked.response;
  const response = await createOpenApiFetchHandler({
    endpoint: REST_PREFIX,
    router: appRouter,
    req: checked.request,
    createContext: () => createContext(checked.request),
    onError: reportInternal(options),
  });
  return response;
}

export async function handleTrpc(req: Request, createContext: ContextFactory, options: HandlerOptions = {}): Promise<Response> {
  const checked = await checkBody(req);
  if (!checked.ok) return checked.response;
  return fetchRequestHandler({
    endpoint: TRPC_PREFIX,
    router: appRouter,
    // Batching saves the console round trips; a cap keeps one request from carrying a thousand calls.
    maxBatchSize: MAX_BATCH_SIZE,
    req: checked.request,
    createContext: () => createContext(checked.request),
    onError: reportInternal(options),
  });
}

let cachedDocument: ReturnType<typeof generateOpenApiDocument> | undefined;

/** The OpenAPI 3 document, generated from the same procedures tRPC serves. */
export function openApiDocument(baseUrl: string) {
  cachedDocument ??= generateOpenApiDocument(appRouter, {
    title: "NVI multi-cloud VPC console API",
    version: "1.0.0",
    description:
      "Everything the console does, for scripts. Authenticate with `Authorization: Bearer nvi_…` (create a token under Tokens). " +
      "Errors are JSON `{ code, message, data: { domainCode, field, issues } }`.",
    baseUrl: `${baseUrl}${REST_PREFIX}`,
    tags: ["account", "organizations", "members", "tokens", "audit", "clouds", "vpcs", "agent"],
  });
  return { ...cachedDocument, servers: [{ url: `${baseUrl}${REST_PREFIX}` }] };
}
