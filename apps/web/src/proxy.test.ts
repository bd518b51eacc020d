import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import config from "../next.config.ts";
import { proxy } from "./proxy.ts";

describe("before any API handler", () => {
  it("a malformed percent-encoding in the path is 400 in the API's JSON error shape", async () => {
    for (const path of ["/api/v1/%ff", "/api/trpc/%ff", "/api/auth/%ff", "/api/v1/vpcs/%e0%a4"]) {
      const res = proxy(new NextRequest(`http://127.0.0.1:3000${path}`));
      expect(res.status, path).toBe(400);
      expect(await res.json()).toMatchObject({ code: "BAD_REQUEST", data: { domainCode: "VALIDATION_FAILED" } });
    }
  });

  it("lets well-formed paths through", () => {
    const res = proxy(new NextRequest("http://127.0.0.1:3000/api/v1/vpcs/vpc_x%20y"));
    expect(res.headers.get("x-middleware-next")).toBe("1");
  });
});

describe("response headers", () => {
  it("every response carries a Content-Security-Policy that keeps the console to itself", async () => {
    const rules = await config.headers!();
    const all = rules.find((r) => r.source === "/:path*")!.headers;
    const csp = all.find((h) => h.key === "Content-Security-Policy")?.value ?? "";
    for (const directive of [
      "default-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "connect-src 'self'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain("unsafe-eval");
  });
});
