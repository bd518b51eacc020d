import { createCoreDeps, type CoreDeps } from "@nvi/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * better-auth as the console wires it (hooks, limiter, audit), against the real Postgres and Redis.
 * The audit's membership lookup is slowed down on purpose: an answer that waits for it shows.
 */
const AUDIT_DELAY_MS = 1_000;
let deps: CoreDeps;
let auth: typeof import("./auth.ts").auth;
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const password = "correct horse battery staple 42";

beforeAll(async () => {
  process.env.AUTH_SECRET ??= "test-secret-that-is-at-least-32-characters-long";
  process.env.PUBLIC_URL = "http://127.0.0.1:3000";
  deps = createCoreDeps(process.env.DATABASE_URL ?? "");
  const db = new Proxy(deps.db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop !== "membership")
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return new Proxy(target.membership, {
        get(m, k) {
          if (k !== "findMany") return Reflect.get(m, k, m) as unknown;
          return async (args: Parameters<typeof m.findMany>[0]) => {
            await new Promise((r) => setTimeout(r, AUDIT_DELAY_MS));
            return m.findMany(args);
          };
        },
      });
    },
  });
  (globalThis as { nviDeps?: CoreDeps }).nviDeps = { ...deps, db };
  ({ auth } = await import("./auth.ts"));
}, 60_000);
afterAll(async () => {
  await deps.db.$disconnect();
  (globalThis as { nviRedis?: { disconnect(): void } }).nviRedis?.disconnect();
});

function call(path: string, body: unknown, ip: string): Promise<Response> {
  return auth().handler(
    new Request(`http://127.0.0.1:3000/api/auth${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://127.0.0.1:3000", "x-forwarded-for": ip },
      body: JSON.stringify(body),
    }),
  );
}

describe("sign-up and sign-in do not tell who has an account", () => {
  it("signing up with an address that has an account gets a new account's answer and changes nothing", async () => {
    const email = `taken-${run}@example.test`;
    const first = await call("/sign-up/email", { email, password, name: "Owner" }, "192.0.2.11");
    expect(first.status).toBe(200);
    const again = await call(
      "/sign-up/email",
      { email, password: "another long passphrase 7", name: "Impostor" },
      "192.0.2.12",
    );
    const body = await again.text();
    expect(again.status).toBe(200);
    expect(body).not.toMatch(/exist/i);
    const shape = (v: { user: object }) => [Object.keys(v), Object.keys(v.user)];
    expect(shape(JSON.parse(body) as { user: object })).toEqual(shape((await first.json()) as { user: object }));
    expect(again.headers.get("set-cookie") ?? "").not.toContain("session_token");
    expect(await deps.db.user.count({ where: { email } })).toBe(1);
    expect((await deps.db.user.findUniqueOrThrow({ where: { email } })).name).toBe("Owner");
  }, 30_000);

  it("a failed sign-in for an existing address answers as fast as one for an unknown address, and is still audited", async () => {
    const email = `known-${run}@example.test`;
    expect((await call("/sign-up/email", { email, password, name: "Known" }, "192.0.2.21")).status).toBe(200);
    const timed = async (address: string, ip: string) => {
      const started = performance.now();
      const res = await call("/sign-in/email", { email: address, password: "not the password at all" }, ip);
      expect(res.status).toBe(401);
      return performance.now() - started;
    };
    const known = Math.min(await timed(email, "192.0.2.22"), await timed(email, "192.0.2.23"));
    const unknown = Math.min(
      await timed(`nobody-${run}@example.test`, "192.0.2.24"),
      await timed(`nobody-${run}@example.test`, "192.0.2.25"),
    );
    expect(known).toBeLessThan(unknown + AUDIT_DELAY_MS / 2);
    const user = await deps.db.user.findUniqueOrThrow({ where: { email } });
    await expect
      .poll(() => deps.db.auditEvent.count({ where: { actorId: user.id, action: "user.sign_in_failed" } }), {
        timeout: 5_000,
      })
      .toBe(2);
  }, 30_000);
});
