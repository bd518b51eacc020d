import type { Metadata } from "next";
import { openApiDocument } from "@nvi/api";
import Link from "next/link";
import { ApiOperations, type ApiOperation } from "../../../components/api-reference.tsx";
import { PageHeader } from "../../../components/ui/page-header.tsx";
import { webEnv } from "../../../env.ts";

export const metadata: Metadata = { title: "API reference" };

export const dynamic = "force-dynamic";

type Operation = {
  summary?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
};

/** The API reference, rendered from the same OpenAPI document scripts download. */
export default function ApiDocsPage() {
  const base = webEnv().PUBLIC_URL;
  const doc = openApiDocument(base);
  const ops = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, Operation>).map(([method, op]) => ({
      tag: op.tags?.[0] ?? "other",
      op: {
        path,
        method: method.toUpperCase(),
        summary: op.summary,
        parameters: (op.parameters ?? []).map((p) => `${p.name} (${p.in}${p.required ? ", required" : ""})`),
        public: op.security?.length === 0,
        body: op.requestBody?.content?.["application/json"]?.schema,
        response: op.responses?.["200"]?.content?.["application/json"]?.schema,
      } satisfies ApiOperation,
    })),
  );
  const tags = [...new Set(ops.map((o) => o.tag))];
  return (
    <>
      <PageHeader
        title="API reference"
        lead={
          <>
            REST over HTTPS at <code>{base}/api/v1</code>. Authenticate with <code>Authorization: Bearer nvi_…</code> (
            <Link href="/tokens">create a token</Link>). Machine-readable:{" "}
            <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI {doc.openapi}).
          </>
        }
      />
      <div className="card">
        <strong>Errors</strong> are JSON:{" "}
        <code>{`{ "code": "NOT_FOUND", "message": "token not found", "data": { "domainCode": "NOT_FOUND", "field": null, "issues": null } }`}</code>
        <br />
        400 bad input (with the field), 401 missing/bad/expired/revoked token, 403 missing scope, 404 not found (also
        for anything in another organization), 409 conflict, 413 body over 64 KiB, 429 rate limited.
      </div>
      {tags.map((tag) => (
        <section key={tag}>
          <h2 style={{ textTransform: "capitalize" }}>{tag}</h2>
          <ApiOperations ops={ops.filter((o) => o.tag === tag).map((o) => o.op)} />
        </section>
      ))}
    </>
  );
}
