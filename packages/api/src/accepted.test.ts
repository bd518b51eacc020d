import { describe, expect, it } from "vitest";
import { isAccepted } from "./accepted.ts";
import { openApiDocument } from "./http.ts";

/** Issue 18: a change answered with its operation is `202 Accepted` (not done), in the handler and in the document. */
describe("202 for a change answered with its operation", () => {
  it("an answer with an operation id, or a retried operation, is accepted; a preview or a plain change is not", () => {
    expect(isAccepted("instance.launch", { instance: {}, operationId: "op_1" })).toBe(true);
    expect(isAccepted("policy.plug", { applied: true, operationId: "op_1" })).toBe(true);
    expect(isAccepted("operation.retry", { id: "op_1", status: "queued" })).toBe(true);
    expect(isAccepted("policy.plug", { applied: false, operationId: null })).toBe(false);
    expect(isAccepted("operation.cancel", { id: "op_1", status: "cancelled" })).toBe(false);
    expect(isAccepted("vpc.create", { id: "vpc_1" })).toBe(false);
  });

  it("the OpenAPI document says 202 where the answer carries an operation, 200 and 202 where a preview may not", () => {
    const doc = openApiDocument("http://localhost") as unknown as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const codes = (path: string, method: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses ?? {}).filter((c) => c.startsWith("2"));
    expect(codes("/instances", "post")).toEqual(["202"]);
    expect(codes("/instances/{instanceId}", "delete")).toEqual(["202"]);
    expect(codes("/instances/{instanceId}/stop", "post")).toEqual(["202"]);
    expect(codes("/operations/{operationId}/retry", "post")).toEqual(["202"]);
    expect(codes("/policy/plug", "post")).toEqual(["200", "202"]);
    expect(codes("/operations/{operationId}/cancel", "post")).toEqual(["200"]);
    expect(codes("/vpcs", "post")).toEqual(["200"]);
  });
});
