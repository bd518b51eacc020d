import { ALL_SCOPES, asId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreDeps, type CoreDeps, type Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { removeMember, setMemberRole } from "../orgs/members.ts";
import { resolveUserActor } from "../orgs/organizations.ts";
import { person, testDeps } from "../test-support/kit.ts";
import { TokenCache, type TokenLookup } from "./token-cache.ts";
import { authenticateApiToken, createApiToken, revokeApiToken } from "./tokens.ts";

const url = process.env.DATABASE_URL ?? "";
/** a console process that caches tokens (its lookups counted), and another that does not */
let cached: CoreDeps;
let lookups = 0;
const other = testDeps();

beforeAll(async () => {
  const deps = createCoreDeps(url, { cacheTokens: true });
  // every `$queryRaw` this "process" sends (the token lookup is the only one authentication makes)
  const db = deps.db.$extends({
    query: {
      $queryRaw: ({ args, query }) => {
        lookups++;
        return query(args);
      },
    },
  }) as unknown as CoreDeps["db"];
  cached = { ...deps, db };
  cached.tokenCache!.listen();
  const deadline = Date.now() + 10_000;
  while (!cached.tokenCache!.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(cached.tokenCache!.ready).toBe(true);
});

afterAll(async () => {
  await cached.tokenCache?.close();
});

const code = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
  );

/** until `check` holds, within 2 s: what a notice from Postgres takes to reach the other process */
async function soon(check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > 2000) throw new Error("the cache still served the old token after 2 s");
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - t0;
}

async function tokenOf(owner: Ctx): Promise<string> {
  return (await createApiToken(owner, { name: "cache", scopes: [...ALL_SCOPES], expiresInDays: 1 })).secret;
}

describe("the console's token cache (real Postgres, its triggers and LISTEN)", () => {
  it("a token's second use reads nothing from Postgres", async () => {
    const owner = await person("tokcache-hit", other);
    const secret = await tokenOf(owner);
    const before = lookups;
    const first = await authenticateApiToken(cached, secret, null);
    const second = await authenticateApiToken(cached, secret, null);
    expect(lookups - before).toBe(1);
    expect(second).toEqual(first);
  });

  it("a token revoked by another process is refused once Postgres tells this one", async () => {
    const owner = await person("tokcache-revoke", other);
    const secret = await tokenOf(owner);
    const actor = await authenticateApiToken(cached, secret, null);
    await revokeApiToken(owner, { tokenId: asId("apiToken", actor.tokenId!) });
    await soon(async () => (await code(authenticateApiToken(cached, secret, null))) === "TOKEN_REVOKED");
  });

  it("a token revoked in this process is refused by its very next request", async () => {
    const owner = await person("tokcache-local", cached);
    const secret = await tokenOf(owner);
    const actor = await authenticateApiToken(cached, secret, null);
    await revokeApiToken({ ...cached, actor: owner.actor }, { tokenId: asId("apiToken", actor.tokenId!) });
    expect(await code(authenticateApiToken(cached, secret, null))).toBe("TOKEN_REVOKED");
  });

  it("follows its creator's role down, and out of the organization", async () => {
    const owner = await person("tokcache-owner", other);
    const admin = await person("tokcache-admin", other);
    const membership = await other.db.membership.create({
      data: { id: other.newId("membership"), orgId: owner.actor.orgId, userId: admin.actor.userId, role: "admin" },
    });
    const adminHere = {
      ...other,
      actor: await resolveUserActor(other, {
        userId: admin.actor.userId,
        preferredOrgId: owner.actor.orgId,
        sourceIp: null,
      }),
    };
    const secret = await tokenOf(adminHere);
    expect((await authenticateApiToken(cached, secret, null)).scopes.has("members:write")).toBe(true);
    await setMemberRole(owner, { membershipId: asId("membership", membership.id), role: "viewer" });
    await soon(async () => !(await authenticateApiToken(cached, secret, null)).scopes.has("members:write"));
    expect((await authenticateApiToken(cached, secret, null)).role).toBe("viewer");
    await removeMember(owner, { membershipId: asId("membership", membership.id) });
    await soon(async () => (await code(authenticateApiToken(cached, secret, null))) === "TOKEN_REVOKED");
  });

  it("follows a change of its creator's email", async () => {
    const owner = await person("tokcache-email", other);
    const secret = await tokenOf(owner);
    await authenticateApiToken(cached, secret, null);
    const email = `renamed-${Date.now()}@example.test`;
    await other.db.user.update({ where: { id: owner.actor.userId }, data: { email } });
    await soon(async () => (await authenticateApiToken(cached, secret, null)).email === email);
  });
});

describe("what the cache keeps", () => {
  const row: TokenLookup = {
    id: "tok_1",
    orgId: "org_1",
    name: "t",
    scopes: [],
    createdBy: "usr_1",
    lastUsedAt: null,
    expiresAt: null,
    revokedAt: null,
    role: "owner",
    email: "a@example.test",
    userName: "a",
  };

  it("not a lookup that began before a change committed (it may have read the old row)", () => {
    const cache = cached.tokenCache!;
    const begun = cache.begin();
    cache.invalidate();
    cache.put("h-race", row, begun, Date.now());
    expect(cache.get("h-race", Date.now())).toBeUndefined();
    cache.put("h-race", row, cache.begin(), Date.now());
    expect(cache.get("h-race", Date.now())).toEqual(row);
  });

  it("nothing past its time to live", () => {
    const cache = cached.tokenCache!;
    const now = Date.now();
    cache.put("h-old", row, cache.begin(), now);
    expect(cache.get("h-old", now + 59_000)).toEqual(row);
    expect(cache.get("h-old", now + 60_001)).toBeUndefined();
  });

  it("nothing while it cannot hear Postgres (no LISTEN: every request reads the database)", async () => {
    const deaf = new TokenCache("postgresql://nvi:nvi@127.0.0.1:1/nvi");
    deaf.put("h", row, deaf.begin(), Date.now());
    expect(deaf.get("h", Date.now())).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    deaf.put("h", row, deaf.begin(), Date.now());
    expect(deaf.get("h", Date.now())).toBeUndefined();
    await deaf.close();
  });

  it("at most its bound of entries, the oldest leaving first", async () => {
    const small = new TokenCache(url, 60_000, 2);
    small.listen();
    const deadline = Date.now() + 10_000;
    while (!small.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const now = Date.now();
    for (const h of ["a", "b", "c"]) small.put(h, row, small.begin(), now);
    expect([small.get("a", now), small.get("b", now), small.get("c", now)]).toEqual([undefined, row, row]);
    await small.close();
  });
});
