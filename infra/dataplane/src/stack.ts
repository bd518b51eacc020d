import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createApiContext, handleRest } from "@nvi/api";
import { ALL_SCOPES } from "@nvi/contracts";
import {
  createApiToken,
  createCoreDeps,
  ensurePersonalOrganization,
  jobQueue,
  resolveUserActor,
  type CoreDeps,
} from "@nvi/core";
import { JobProducer } from "@nvi/jobs";
import { stackEnv } from "./env.ts";

/**
 * The product's control plane for a lab test, made of the real parts: the REST API (packages/api,
 * served over HTTP on the lab's management address so agents in host namespaces reach it), the
 * real worker process (apps/worker: BullMQ consumer + embedded TSC with the NVI mapping) and a
 * tenant with an API token. Postgres and Redis are the machine's (DATABASE_URL, REDIS_URL).
 */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** An organization with an API token of every scope, and REST calls made with it. */
export interface Tenant {
  orgId: string;
  token: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export interface Stack {
  deps: CoreDeps;
  apiUrl: string;
  token: string;
  orgId: string;
  tscPort: number;
  queuePrefix: string;
  /** REST call with the tenant's token; returns status and parsed body (JSON as the API sent it) */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Another organization (its own user and token) on the same API: a second tenant. */
  newTenant(): Promise<Tenant>;
  /** Tenants made by `newTenant` (not the first one) */
  tenants: Tenant[];
  startWorker(): Promise<void>;
  /** SIGKILL, as a crash would */
  killWorker(): void;
  workerLog(): string;
  close(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function tenantRow(deps: CoreDeps): Promise<{ orgId: string; token: string }> {
  const label = `stack-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const user = await deps.db.user.create({
    data: { id: deps.newId("user"), email: `${label}@example.test`, name: label },
  });
  const orgId = await ensurePersonalOrganization(deps, user, "127.0.0.1");
  const actor = await resolveUserActor(deps, { userId: user.id, preferredOrgId: orgId, sourceIp: "127.0.0.1" });
  const token = (
    await createApiToken({ ...deps, actor }, { name: "lab stack", scopes: [...ALL_SCOPES], expiresInDays: 1 })
  ).secret;
  return { orgId, token };
}

export async function startStack(bindIp: string): Promise<Stack> {
  const { databaseUrl, redisUrl, inherited } = stackEnv();
  if (!databaseUrl) throw new Error("DATABASE_URL must point at the test database (scripts/test.sh sets it)");
  // the console's and the worker's fabric CA: one secret for both (the CA row is per secret, so a
  // checkout's AUTH_SECRET and this default never read each other's key)
  const fabricSecret =
    inherited.FABRIC_CA_SECRET ?? inherited.AUTH_SECRET ?? "nvi-lab-stack-fabric-secret-0123456789abcdef";
  const deps = createCoreDeps(databaseUrl, { fabricSecret });
  const queuePrefix = `nvitest-${Date.now().toString(36)}`;
  const producer = new JobProducer(redisUrl, queuePrefix);
  const operations = jobQueue(producer);

  const { orgId, token } = await tenantRow(deps);

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = `http://${req.headers.host ?? bindIp}${req.url ?? "/"}`;
      const body = chunks.length > 0 && req.method !== "GET" ? Buffer.concat(chunks) : undefined;
      const request = new Request(url, { method: req.method, headers: req.headers as Record<string, string>, body });
      void handleRest(request, (r) =>
        createApiContext({
          deps,
          headers: r.headers,
          method: r.method,
          sourceIp: req.socket.remoteAddress ?? null,
          publicUrl: apiUrl,
          getSessionUser: () => Promise.resolve(null),
          operations,
        }),
      ).then(
        async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, bindIp, r));
  const apiUrl = `http://${bindIp}:${(server.address() as { port: number }).port}`;
  const tscPort = await freePort(bindIp);

  let worker: ChildProcess | undefined;
  let log = "";
  const callWith =
    (bearer: string): Stack["call"] =>
    async (method, p, body) => {
      const res = await fetch(`${apiUrl}/api/v1${p}`, {
        method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json().catch((): unknown => null) };
    };
  const stack: Stack = {
    deps,
    apiUrl,
    token,
    orgId,
    tscPort,
    queuePrefix,
    call: callWith(token),
    tenants: [],
    async newTenant() {
      const t = await tenantRow(deps);
      const tenant: Tenant = { ...t, call: callWith(t.token) };
      stack.tenants.push(tenant);
      return tenant;
    },
    async startWorker() {
      worker = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "apps/worker/src/main.ts")], {
        cwd: path.join(ROOT, "apps/worker"),
        env: {
          ...inherited,
          DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          FABRIC_CA_SECRET: fabricSecret,
          TSC_INSECURE_TCP: "0",
          QUEUE_PREFIX: queuePrefix,
          SWEEP_QUEUED_AFTER_MS: "0",
          TSC_BIND_ADDRESS: bindIp,
          TSC_OPENFLOW_PORT: String(tscPort),
          WORKER_CONCURRENCY: "4",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const collect = (d: Buffer): void => void (log += d.toString());
      worker.stdout?.on("data", collect);
      worker.stderr?.on("data", collect);
      const end = Date.now() + 30_000;
      while (!log.includes("worker started")) {
        if (worker.exitCode !== null || Date.now() > end) throw new Error(`worker did not start: ${log.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    killWorker() {
      worker?.kill("SIGKILL");
    },
    workerLog: () =>
      `${log}${worker && worker.exitCode !== null ? `\n[worker exited with code ${worker.exitCode}, signal ${worker.signalCode}]` : ""}`,
    async close() {
      if (worker && worker.exitCode === null) {
        worker.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 500));
        if (worker.exitCode === null) worker.kill("SIGKILL");
      }
      await new Promise((r) => server.close(r));
      await producer.close();
      await deps.db.$disconnect();
    },
  };
  return stack;
}
