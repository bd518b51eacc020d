import { ALL_SCOPES } from "@nvi/contracts";
import {
  createApiToken,
  ensurePersonalOrganization,
  resolveUserActor,
  type CoreDeps,
  type OperationQueue,
} from "@nvi/core";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll } from "vitest";
import { createApiContext, type ApiContext } from "../context.ts";
import { handleRest } from "../http.ts";
import { createCaller } from "../root.ts";

// core's kit (the test database, host facts, a tenant with a cloud and an enrolled host), and what only the API adds
import { testDeps } from "@nvi/core/test-support";
export { hostFacts, testDeps } from "@nvi/core/test-support";

/** A response's JSON body, untyped (tests read what they assert on). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (res: Response): Promise<any> => res.json();

/**
 * The facts an agent sends as JSON (only what a minimal agent reports; the rest is defaulted by the
 * schema): a netns-only host unless `extra` says otherwise.
 */
export const agentFacts = (hostname: string, extra: Record<string, unknown> = {}) => ({
  hostname,
  kernel: "6.1.0",
  cpus: 2,
  memoryMiB: 4096,
  ovsVersion: "3.1.0",
  runtimes: { docker: false, qemu: false, netns: true },
  ...extra,
});

/** What a call through the API ended with: "ok", or the tRPC error code. */
export function trpcCodeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );
}

export interface Tenant {
  userId: string;
  email: string;
  orgId: string;
  /** An all-scopes API token of the owner. */
  token: string;
  tokenId: string;
}

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A user who signed up: their own organization, owner role, and an API token. */
export async function makeTenant(deps: CoreDeps, label: string): Promise<Tenant> {
  const email = `${label}-${run}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const user = await deps.db.user.create({ data: { id: deps.newId("user"), email, name: label } });
  const orgId = await ensurePersonalOrganization(deps, user, "127.0.0.1");
  const actor = await resolveUserActor(deps, { userId: user.id, preferredOrgId: orgId, sourceIp: "127.0.0.1" });
  const created = await createApiToken(
    { ...deps, actor },
    { name: `${label} ci`, scopes: [...ALL_SCOPES], expiresInDays: 1 },
  );
  return { userId: user.id, email, orgId, token: created.secret, tokenId: created.token.id };
}

/**
 * The test database and one tenant for the tests of a file (or of the `describe` it is called in):
 * made before they run, disconnected after. Read `kit.deps` and `kit.owner` inside the tests.
 */
export function tenantKit(label: string): { deps: CoreDeps; owner: Tenant } {
  const kit = {} as { deps: CoreDeps; owner: Tenant };
  beforeAll(async () => {
    kit.deps = testDeps();
    kit.owner = await makeTenant(kit.deps, label);
  });
  afterAll(async () => {
    await kit.deps.db.$disconnect();
  });
  return kit;
}

/** A request context as the browser session of `tenant` would produce. */
export function sessionContext(
  deps: CoreDeps,
  tenant: Pick<Tenant, "userId" | "email">,
  headers = new Headers(),
): ApiContext {
  return createApiContext({
    deps,
    headers,
    sourceIp: "127.0.0.1",
    publicUrl: "http://console.test",
    getSessionUser: () => Promise.resolve({ userId: tenant.userId, email: tenant.email }),
  });
}

/** A request context carrying only headers (bearer token or nothing), with the server's queue when given. */
export function headerContext(deps: CoreDeps, headers: Headers, operations?: OperationQueue): ApiContext {
  return createApiContext({
    deps,
    headers,
    sourceIp: "127.0.0.1",
    publicUrl: "http://console.test",
    getSessionUser: () => Promise.resolve(null),
    ...(operations ? { operations } : {}),
  });
}

/** REST calls with an API token (JSON bodies), as a script would make them. */
export function restAs(deps: CoreDeps, token: string, operations?: OperationQueue) {
  return (method: string, path: string, body?: unknown): Promise<Response> =>
    handleRest(
      new Request(`http://localhost/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
      (req) => headerContext(deps, req.headers, operations),
    );
}

/** A call of the agent's REST routes (POST, JSON), with the host's credential when given. */
export function agentCall(deps: CoreDeps, path: string, body: unknown, credential?: string): Promise<Response> {
  return handleRest(
    new Request(`http://localhost/api/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
      body: JSON.stringify(body),
    }),
    (req) => headerContext(deps, req.headers),
  );
}

/** A new cloud of `tenant` and a join string for it (reusable unless said otherwise), as Clouds → Add host makes them. */
export async function joinStringFor(deps: CoreDeps, tenant: Tenant, o: { reusable?: boolean } = {}): Promise<string> {
  const caller = createCaller(sessionContext(deps, tenant));
  const name = `c-${Math.random().toString(36).slice(2, 10)}`;
  const cloudId = (await caller.cloud.create({ name, kind: "baremetal", region: "eu", datacenter: "dc1" })).id;
  const reusable = o.reusable ?? true;
  return (await caller.joinToken.create({ cloudId, reusable, usageLimit: null, expiresInHours: 1 })).joinString;
}
