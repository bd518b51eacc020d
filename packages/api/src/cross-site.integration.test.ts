import { describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { createApiContext, isCrossSiteWrite } from "./context.ts";
import { createCaller } from "./root.ts";
import { tenantKit } from "./test-support/fixtures.ts";

const publicUrl = "https://console.example.test";

describe("cross-site writes with a browser session", () => {
  it("flags unsafe methods from a foreign or opaque origin only", () => {
    const check = (method: string, origin?: string) =>
      isCrossSiteWrite({ method, publicUrl, headers: new Headers(origin ? { origin } : {}) });
    expect(check("POST", "https://evil.example")).toBe(true);
    expect(check("DELETE", "https://sub.console.example.test")).toBe(true);
    expect(check("POST", "null")).toBe(true);
    expect(check("POST", "https://console.example.test")).toBe(false);
    expect(check("GET", "https://evil.example")).toBe(false);
    expect(check("GET")).toBe(false);
  });

  it("a change with a browser session and no Origin (nor Referer) is refused, as better-auth refuses it", () => {
    const check = (headers: Record<string, string>) =>
      isCrossSiteWrite({ method: "POST", publicUrl, headers: new Headers(headers) });
    expect(check({})).toBe(true);
    expect(check({ referer: "https://evil.example/page" })).toBe(true);
    expect(check({ referer: "https://console.example.test/vpcs" })).toBe(false);
    expect(check({ origin: "null", "sec-fetch-site": "same-origin" })).toBe(false);
  });

  const kit = tenantKit("cara");

  const caller = (origin: string | null, extra: Record<string, string> = {}) =>
    createCaller(
      createApiContext({
        deps: kit.deps,
        headers: new Headers({ ...(origin ? { origin } : {}), ...extra }),
        method: "POST",
        sourceIp: null,
        publicUrl,
        getSessionUser: () => Promise.resolve({ userId: kit.owner.userId, email: kit.owner.email }),
      }),
    );

  it("refuses a change posted from another site and changes nothing", async () => {
    const before = await kit.deps.db.vpc.count({ where: { orgId: kit.owner.orgId } });
    const error = await caller("https://evil.example")
      .vpc.create({ name: "csrf", cidr: "10.44.0.0/16", allowOverlap: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("FORBIDDEN");
    expect(await kit.deps.db.vpc.count({ where: { orgId: kit.owner.orgId } })).toBe(before);
    expect(
      (await caller(publicUrl).vpc.create({ name: "same-site", cidr: "10.45.0.0/16", allowOverlap: true })).name,
    ).toBe("same-site");
  });

  it("refuses a change with the session cookie and no Origin; the same change with an API token needs none", async () => {
    const before = await kit.deps.db.vpc.count({ where: { orgId: kit.owner.orgId } });
    const error = await caller(null)
      .vpc.create({ name: "no-origin", cidr: "10.46.0.0/16", allowOverlap: true })
      .catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe("FORBIDDEN");
    expect(await kit.deps.db.vpc.count({ where: { orgId: kit.owner.orgId } })).toBe(before);
    const withToken = createApiContext({
      deps: kit.deps,
      headers: new Headers({ authorization: `Bearer ${kit.owner.token}` }),
      method: "POST",
      sourceIp: null,
      publicUrl,
      getSessionUser: () => Promise.resolve(null),
    });
    expect(
      (await createCaller(withToken).vpc.create({ name: "token-no-origin", cidr: "10.47.0.0/16", allowOverlap: true }))
        .name,
    ).toBe("token-no-origin");
  });
});
