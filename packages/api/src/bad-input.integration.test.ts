import { describe, expect, it } from "vitest";
import { createApiToken, mintTokenSecret, resolveUserActor, type CoreDeps } from "@nvi/core";
import { handleRest, MAX_BODY_BYTES } from "./http.ts";
import { headerContext, makeTenant, tenantKit, json } from "./test-support/fixtures.ts";

const kit = tenantKit("dora");

function rest(
  method: string,
  path: string,
  init: { token?: string; body?: string; headers?: Record<string, string> } = {},
  d: CoreDeps = kit.deps,
) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  return handleRest(
    new Request(`http://localhost/api/v1${path}`, {
      method,
      headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
    }),
    (req) => headerContext(d, req.headers),
  );
}

async function tokenWith(scopes: Parameters<typeof createApiToken>[1]["scopes"], expiresInDays: number | null = 1) {
  const actor = await resolveUserActor(kit.deps, {
    userId: kit.owner.userId,
    preferredOrgId: kit.owner.orgId,
    sourceIp: null,
  });
  return createApiToken({ ...kit.deps, actor }, { name: "t", scopes, expiresInDays });
}

describe("authentication errors", () => {
  it("refuses a malformed token with 401 without touching the database", async () => {
    const noDb = {
      ...kit.deps,
      db: new Proxy(
        {},
        {
          get: () => {
            throw new Error("database was touched");
          },
        },
      ),
    } as unknown as CoreDeps;
    for (const token of [
      "nope",
      "nvi_short",
      mintTokenSecret().slice(0, -1) + "!",
      mintTokenSecret().replace(/.$/, (c) => (c === "a" ? "b" : "a")),
    ]) {
      const res = await rest("GET", "/me", { token }, noDb);
      expect(res.status).toBe(401);
      expect((await json(res)).data.domainCode).toBe("TOKEN_MALFORMED");
    }
  });

  it("refuses a well-formed but unknown token with 401", async () => {
    const res = await rest("GET", "/me", { token: mintTokenSecret() });
    expect(res.status).toBe(401);
    expect((await json(res)).data.domainCode).toBe("TOKEN_UNKNOWN");
  });

  it("refuses a request with no credentials and a non-Bearer Authorization header", async () => {
    expect((await rest("GET", "/me")).status).toBe(401);
    expect((await rest("GET", "/me", { headers: { authorization: `Basic ${btoa("a:b")}` } })).status).toBe(401);
  });

  it("revocation takes effect on the very next request", async () => {
    const { secret, token } = await tokenWith(["tokens:write"]);
    expect((await rest("GET", "/me", { token: secret })).status).toBe(200);
    expect((await rest("DELETE", `/tokens/${token.id}`, { token: secret })).status).toBe(200);
    const res = await rest("GET", "/me", { token: secret });
    expect(res.status).toBe(401);
    expect((await json(res)).data.domainCode).toBe("TOKEN_REVOKED");
  });

  it("an expired token is refused", async () => {
    const { secret, token } = await tokenWith(["audit:read"]);
    await kit.deps.db.apiToken.update({ where: { id: token.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await rest("GET", "/me", { token: secret });
    expect(res.status).toBe(401);
    expect((await json(res)).data.domainCode).toBe("TOKEN_EXPIRED");
  });

  it("records last use", async () => {
    const { secret, token } = await tokenWith(["audit:read"]);
    await rest("GET", "/audit-events", { token: secret });
    expect((await kit.deps.db.apiToken.findUniqueOrThrow({ where: { id: token.id } })).lastUsedAt).not.toBeNull();
  });
});

describe("scopes", () => {
  it("a missing scope is 403 naming the scope", async () => {
    const { secret } = await tokenWith(["vpcs:read"]);
    const res = await rest("GET", "/tokens", { token: secret });
    expect(res.status).toBe(403);
    const body = await json(res);
    expect(body.data.domainCode).toBe("MISSING_SCOPE");
    expect(body.data.missingScopes).toEqual(["tokens:read"]);
  });

  it("read does not allow write; write allows read", async () => {
    const read = await tokenWith(["vpcs:read"]);
    expect((await rest("GET", "/vpcs", { token: read.secret })).status).toBe(200);
    const vpc = JSON.stringify({ name: `rw-${Date.now()}`, cidr: "10.123.0.0/16", allowOverlap: true });
    expect((await rest("POST", "/vpcs", { token: read.secret, body: vpc })).status).toBe(403);
    const write = await tokenWith(["vpcs:write"]);
    expect((await rest("GET", "/vpcs", { token: write.secret })).status).toBe(200);
    expect((await rest("POST", "/vpcs", { token: write.secret, body: vpc })).status).toBe(200);
  });

  it("a token mints no credentials: neither tokens (which could outlive it) nor invitations", async () => {
    const { secret } = await tokenWith(["tokens:write", "members:write"]);
    const token = await rest("POST", "/tokens", {
      token: secret,
      body: JSON.stringify({ name: "forever", scopes: ["audit:read"], expiresInDays: null }),
    });
    expect(token.status).toBe(403);
    expect((await json(token)).data.domainCode).toBe("USER_SESSION_REQUIRED");
    const invite = await rest("POST", "/invitations", { token: secret, body: JSON.stringify({ role: "owner" }) });
    expect(invite.status).toBe(403);
  });

  it("a token shrinks with its creator's role and dies when the creator leaves", async () => {
    const member = await makeTenant(kit.deps, "erin");
    const m = await kit.deps.db.membership.create({
      data: { id: kit.deps.newId("membership"), orgId: kit.owner.orgId, userId: member.userId, role: "member" },
    });
    const actor = await resolveUserActor(kit.deps, {
      userId: member.userId,
      preferredOrgId: kit.owner.orgId,
      sourceIp: null,
    });
    expect(actor.orgId).toBe(kit.owner.orgId);
    const { secret } = await createApiToken(
      { ...kit.deps, actor },
      { name: "erin's", scopes: ["clouds:write", "audit:read"], expiresInDays: 1 },
    );
    const cloud = (name: string) =>
      rest("POST", "/clouds", {
        token: secret,
        body: JSON.stringify({ name, kind: "vm", region: "eu", datacenter: "dc1" }),
      });
    expect((await cloud(`erin-${Date.now()}`)).status).toBe(200);
    await kit.deps.db.membership.update({ where: { id: m.id }, data: { role: "viewer" } });
    expect((await cloud(`erin2-${Date.now()}`)).status).toBe(403);
    expect((await rest("GET", "/audit-events", { token: secret })).status).toBe(200);
    await kit.deps.db.membership.delete({ where: { id: m.id } });
    expect((await rest("GET", "/audit-events", { token: secret })).status).toBe(401);
  });
});

describe("bad request bodies change nothing and say what is wrong", () => {
  it("malformed JSON is 400 with the parser's reason", async () => {
    const before = await kit.deps.db.apiToken.count({ where: { orgId: kit.owner.orgId } });
    const res = await rest("POST", "/tokens", { token: kit.owner.token, body: '{"name": "x", "scopes": [' });
    expect(res.status).toBe(400);
    expect((await json(res)).message).toMatch(/not valid JSON/);
    expect(await kit.deps.db.apiToken.count({ where: { orgId: kit.owner.orgId } })).toBe(before);
  });

  it("an oversized body is refused before parsing", async () => {
    const res = await rest("POST", "/tokens", {
      token: kit.owner.token,
      body: JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES) }),
    });
    expect(res.status).toBe(413);
  });

  it("a wrong field is 400 naming the field", async () => {
    const res = await rest("POST", "/tokens", {
      token: kit.owner.token,
      body: JSON.stringify({ name: "ok", scopes: ["vpcs:fly"] }),
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(JSON.stringify(body.issues ?? body.data?.issues)).toContain("scopes");
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('a bad instance name is named once (issue 17: it read "name: name: …")', async () => {
    const res = await rest("POST", "/instances", {
      token: kit.owner.token,
      body: JSON.stringify({ name: "Web_1", subnetId: "sn_00000000000000000000", runtime: "netns" }),
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    const issues = (body.data as { issues: { path: string; message: string }[] }).issues;
    expect(issues.find((i) => i.path === "name")?.message).toBe("lower-case letters, digits and - (not at either end)");
  });

  it("a container's environment and command are named when wrong: a bad name, a line break, a shell string", async () => {
    const launch = async (over: Record<string, unknown>) => {
      const res = await rest("POST", "/instances", {
        token: kit.owner.token,
        body: JSON.stringify({
          name: "box",
          subnetId: "sn_00000000000000000000",
          runtime: "docker",
          image: "a:1",
          ...over,
        }),
      });
      expect(res.status).toBe(400);
      const body = await json(res);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
      return (body.data as { issues: { path: string; message: string }[] }).issues;
    };
    expect((await launch({ env: { "BAD-NAME": "x" } }))[0]?.path).toMatch(/^env/);
    const broken = await launch({ env: { A: "x\nB=y" } });
    expect(broken[0]).toMatchObject({ path: "env.A", message: "must not contain NUL or line breaks" });
    expect((await launch({ command: "sleep 1000" }))[0]?.path).toBe("command");
  });
});

describe("text no column can hold (Postgres 22021/22P05) is refused at the edge", () => {
  it("a NUL or a lone surrogate in a body field, a key, or a query parameter is 400 naming the field, and changes nothing", async () => {
    const before = (await kit.deps.db.organization.findUniqueOrThrow({ where: { id: kit.owner.orgId } })).name;
    const cases: [string, string, unknown, string][] = [
      ["PATCH", "/organization", { name: "evil\u0000org" }, "name"],
      [
        "POST",
        "/denies",
        { srcLabels: { a: "b" }, dstLabels: {}, description: "x\u0000y", preview: true },
        "description",
      ],
      ["POST", "/denies", { srcLabels: { "k\u0000": "b" }, dstLabels: {}, preview: true }, "srcLabels.k?"],
      ["POST", "/denies", { srcLabels: { a: "\ud800" }, dstLabels: {}, preview: true }, "srcLabels.a"],
      ["GET", "/groups?vpcId=vpc%00x", undefined, "vpcId"],
      ["GET", "/audit-events?action=a%00b", undefined, "action"],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await rest(method, path, {
        token: kit.owner.token,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(res.status, `${method} ${path}`).toBe(400);
      const answer = await json(res);
      expect(answer.data).toMatchObject({ domainCode: "VALIDATION_FAILED", field });
    }
    expect((await kit.deps.db.organization.findUniqueOrThrow({ where: { id: kit.owner.orgId } })).name).toBe(before);
  });
});

describe("members", () => {
  it("the last owner can neither be demoted nor removed", async () => {
    const members = await json(await rest("GET", "/members", { token: kit.owner.token }));
    const self = (members as { id: string; role: string }[]).find((m) => m.role === "owner")!;
    const demote = await rest("PATCH", `/members/${self.id}`, {
      token: kit.owner.token,
      body: JSON.stringify({ role: "admin" }),
    });
    expect(demote.status).toBe(409);
    expect((await rest("DELETE", `/members/${self.id}`, { token: kit.owner.token })).status).toBe(409);
  });
});
