import { openApiDocument } from "@nvi/api";
import Link from "next/link";
import { webEnv } from "../../../env.ts";

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
    Object.entries(item as Record<string, Operation>).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
  const tags = [...new Set(ops.map((o) => o.op.tags?.[0] ?? "other"))];
  return (
    <>
      <h1>API reference</h1>
      <p className="lead">
        REST over HTTPS at <code>{base}/api/v1</code>. Authenticate with <code>Authorization: Bearer nvi_…</code> (<Link href="/tokens">create a token</Link>).
        Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI {doc.openapi}).
      </p>
      <div className="card">
        <strong>Errors</strong> are JSON: <code>{`{ "code": "NOT_FOUND", "message": "token not found", "data": { "domainCode": "NOT_FOUND", "field": null, "issues": null } }`}</code>
        <br />
        400 bad input (with the field), 401 missing/bad/expired/revoked token, 403 missing scope, 404 not found (also for anything in another organization), 409 conflict, 413 body over 64 KiB, 429 rate limited.
      </div>
      {tags.map((tag) => (
        <section key={tag}>
          <h2 style={{ textTransform: "capitalize" }}>{tag}</h2>
          <div className="table-wrap">
            <table>
              <tbody>
                {ops
                  .filter((o) => (o.op.tags?.[0] ?? "other") === tag)
                  .map(({ path, method, op }) => {
                    const body = op.requestBody?.content?.["application/json"]?.schema;
                    const ok = op.responses?.["200"]?.content?.["application/json"]?.schema;
                    return (
                      <tr key={method + path}>
                        <td style={{ width: "40%" }}>
                          <span className={`method ${method}`}>{method}</span> <code>/api/v1{path}</code>
                          {op.security?.length === 0 && <span className="badge">public</span>}
                        </td>
                        <td>
                          {op.summary}
                          {!!op.parameters?.length && (
                            <div className="muted">
                              Parameters: {op.parameters.map((p) => `${p.name} (${p.in}${p.required ? ", required" : ""})`).join(", ")}
                            </div>
                          )}
                          {body !== undefined && (
                            <details>
                              <summary>Request body</summary>
                              <pre>{JSON.stringify(body, null, 2)}</pre>
                            </details>
                          )}
                          {ok !== undefined && (
                            <details>
                              <summary>Response</summary>
                              <pre>{JSON.stringify(ok, null, 2)}</pre>
                            </details>
                          )}
                        </td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </>
  );
}
