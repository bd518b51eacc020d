"use client";

import { DataTable } from "./ui/data-table.tsx";
import { Badge } from "./ui/badge.tsx";

export interface ApiOperation {
  path: string;
  method: string;
  summary?: string | undefined;
  parameters: string[];
  public: boolean;
  body?: unknown;
  response?: unknown;
}

function Schema({ title, schema }: { title: string; schema: unknown }) {
  if (schema === undefined) return null;
  return (
    <details>
      <summary>{title}</summary>
      <pre>{JSON.stringify(schema, null, 2)}</pre>
    </details>
  );
}

/** One tag's operations of the OpenAPI document: method and path, what it does, its schemas folded. */
export function ApiOperations({ ops }: { ops: ApiOperation[] }) {
  return (
    <DataTable
      rows={ops}
      rowKey={(o) => o.method + o.path}
      columns={[
        {
          key: "endpoint",
          header: "Endpoint",
          style: { width: "40%" },
          sort: (o) => o.path,
          cell: (o) => (
            <>
              <span className={`method ${o.method}`}>{o.method}</span> <code>/api/v1{o.path}</code>
              {o.public && <Badge>public</Badge>}
            </>
          ),
        },
        {
          key: "what",
          header: "What it does",
          cell: (o) => (
            <>
              {o.summary}
              {o.parameters.length > 0 && <div className="muted">Parameters: {o.parameters.join(", ")}</div>}
              <Schema title="Request body" schema={o.body} />
              <Schema title="Response" schema={o.response} />
            </>
          ),
        },
      ]}
    />
  );
}
