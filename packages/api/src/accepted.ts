/**
 * A REST change answered with the operation that carries it is accepted, not done: `202 Accepted`,
 * and the operation says when it is (issue 18). One rule for the handler and the OpenAPI document:
 * an answer with an `operationId` (a launch, terminate, stop/start/restart, an applied policy
 * change; a preview has none), or a retried operation (queued again).
 */
const QUEUES_AN_OPERATION = new Set(["operation.retry"]);

export function isAccepted(path: string | undefined, data: unknown): boolean {
  if (path !== undefined && QUEUES_AN_OPERATION.has(path)) return true;
  return (
    typeof data === "object" && data !== null && typeof (data as { operationId?: unknown }).operationId === "string"
  );
}

type Responses = Record<string, { description?: string; content?: { "application/json"?: { schema?: unknown } } }>;
type Doc = { paths?: Record<string, Record<string, { operationId?: string; responses?: Responses }> | undefined> };

const ACCEPTED = "Accepted: the operation that carries the change (follow it at /operations/{operationId})";

/**
 * The document's success answers follow the handler: `202` where the answer always carries an
 * operation, `200` and `202` where a preview answers without one.
 */
export function documentAccepted<D extends { paths?: object }>(document: D): D {
  const doc = document as Doc;
  for (const methods of Object.values(doc.paths ?? {}))
    for (const op of Object.values(methods ?? {})) {
      const ok = op.responses?.["200"];
      const schema = ok?.content?.["application/json"]?.schema as
        { properties?: Record<string, { type?: unknown; anyOf?: { type?: unknown }[] }> } | undefined;
      const operationId = schema?.properties?.operationId;
      const retry = op.operationId === "operation-retry";
      if (!ok || !op.responses || (!operationId && !retry)) continue;
      const nullable =
        (Array.isArray(operationId?.type) && operationId.type.includes("null")) ||
        Boolean(operationId?.anyOf?.some((t) => t.type === "null"));
      const { "200": _ok, ...rest } = op.responses;
      op.responses = nullable
        ? {
            "200": { ...ok, description: "A preview: nothing kept, no operation" },
            "202": { ...ok, description: ACCEPTED },
            ...rest,
          }
        : { "202": { ...ok, description: ACCEPTED }, ...rest };
    }
  return document;
}
