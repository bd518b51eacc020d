import { describe, expect, it } from "vitest";
import { appRouter } from "../root.ts";
import { openApiDocument } from "../http.ts";
import { cloudsHostsCases } from "./clouds-hosts.cases.ts";
import { networksInstancesCases } from "./networks-instances.cases.ts";
import { organizationCases } from "./organization.cases.ts";
import { policyCases } from "./policy.cases.ts";

/**
 * Every procedure and every REST route has a tenant-isolation case in one of the domain files
 * (./*.cases.ts): a new procedure without one fails here.
 */
const domains = [organizationCases, cloudsHostsCases, networksInstancesCases, policyCases];

describe("tenant isolation over tRPC", () => {
  it("covers every procedure", () => {
    const cases = domains.flatMap((d) => Object.keys(d.procedures)); // a procedure in two domains fails too
    expect(Object.keys(appRouter._def.procedures).sort()).toEqual(cases.sort());
  });
});

describe("tenant isolation over REST", () => {
  it("covers every route in the OpenAPI document", () => {
    const routes = domains.flatMap((d) => Object.keys(d.routes));
    const doc = openApiDocument("http://localhost");
    const documented = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.sort());
  });
});
