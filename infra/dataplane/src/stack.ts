import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
import { serveConsole } from "./console-server.ts";
import { stackEnv } from "./env.ts";

/**
 * The product's control plane for a lab test, made of the real parts: the REST API (packages/api,
 * served over HTTP on the lab's management address so agents in host namespaces reach it), the
 * real worker process (apps/worker: BullMQ consumer + embedded TSC with the NVI mapping) and a
 * tenant with an API token. Postgres and Redis are the machine's (DATABASE_URL, REDIS_URL) unless
 * `StackOptions` names others (a fault test's cut proxy and private redis-server); the console runs in
 * this process, or in one of its own (`separateConsole`) that a test can SIGKILL and start again.
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
  /** With `separateConsole`: the console's process, SIGKILLed as a crash would, and started again on the same port. */
  killConsole(): Promise<void>;
  startConsole(): Promise<void>;
  consoleLog(): string;
  workerLog(): string;
  /** the console's (with `separateConsole`) and the worker's process ids, for a bench that sets their CPU priority */
  controlPlanePids(): number[];
  close(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, host, r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Collects the child's output and waits until it says `line`; its output's tail if it exits first or 30 s pass. */
async function started(
  child: ChildProcess,
  line: string,
  collect: (text: string) => void,
  output: () => string,
): Promise<void> {
  child.stdout?.on("data", (d: Buffer) => collect(d.toString()));
  child.stderr?.on("data", (d: Buffer) => collect(d.toString()));
  const end = Date.now() + 30_000;
  while (!output().includes(line)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`"${line}" never came: ${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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

export interface StackOptions {
  /** serve /install.sh and /downloads/*.deb from there, as the console does (NVI_PACKAGE_DIR) */
  packageDir?: string;
  /** the console's and the worker's Postgres and Redis (a fault test's cut proxy, its private redis-server) */
  databaseUrl?: string;
  redisUrl?: string;
  /** the console in a process of its own (`console-main.ts`), so a test can kill it */
  separateConsole?: boolean;
  /** the console's NVI_INSTANCE_POOL: where hosts that claim no instance block get one */
  instancePool?: string;
}

export async function startStack(bindIp: string, o: StackOptions = {}): Promise<Stack> {
  const env = stackEnv();
  const { inherited } = env;
  const databaseUrl = o.databaseUrl ?? env.databaseUrl;
  const redisUrl = o.redisUrl ?? env.redisUrl;
  if (!databaseUrl) throw new Error("DATABASE_URL must point at the test database (scripts/test.sh sets it)");
  // the console's and the worker's fabric CA: one secret for both (the CA row is per secret, so a
  // checkout's AUTH_SECRET and this default never read each other's key)
  const fabricSecret =
    inherited.FABRIC_CA_SECRET ?? inherited.AUTH_SECRET ?? "nvi-lab-stack-fabric-secret-0123456789abcdef";
  // tenants' sealed secrets (containers' environments, registry passwords): one key for the console and the worker
  const secretsKey = inherited.NVI_SECRETS_KEY ?? fabricSecret;
  const deps = createCoreDeps(databaseUrl, {
    fabricSecret,
    secretsKey,
    ...(o.instancePool ? { instancePool: o.instancePool } : {}),
  });
  const queuePrefix = `nvitest-${Date.now().toString(36)}`;
  const producer = new JobProducer(redisUrl, queuePrefix);
  const operations = jobQueue(producer);

  const { orgId, token } = await tenantRow(deps);

  let server: Server | undefined;
  let consoleProcess: ChildProcess | undefined;
  let consoleLog = "";
  const consolePort = o.separateConsole ? await freePort(bindIp) : 0;
  const startConsole = async (): Promise<void> => {
    consoleProcess = spawn(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "infra/dataplane/src/console-main.ts")],
      {
        cwd: path.join(ROOT, "infra/dataplane"),
        env: {
          ...inherited,
          DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          QUEUE_PREFIX: queuePrefix,
          FABRIC_CA_SECRET: fabricSecret,
          NVI_SECRETS_KEY: secretsKey,
          CONSOLE_BIND: bindIp,
          CONSOLE_PORT: String(consolePort),
          NVI_PACKAGE_DIR: o.packageDir ?? "",
          NVI_INSTANCE_POOL: o.instancePool ?? "",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    await started(
      consoleProcess,
      "console listening",
      (d) => ((out += d), (consoleLog += d)),
      () => out,
    );
  };
  let url = `http://${bindIp}:${consolePort}`;
  if (o.separateConsole) await startConsole();
  else
    ({ server, apiUrl: url } = await serveConsole({
      deps,
      operations,
      bindIp,
      port: 0,
      packageDir: o.packageDir,
      redisUrl,
    }));
  const tscPort = await freePort(bindIp);

  let worker: ChildProcess | undefined;
  let log = "";
  const callWith =
    (bearer: string): Stack["call"] =>
    async (method, p, body) => {
      const res = await fetch(`${url}/api/v1${p}`, {
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
    apiUrl: url,
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
          NVI_SECRETS_KEY: secretsKey,
          TSC_INSECURE_TCP: "0",
          QUEUE_PREFIX: queuePrefix,
          SWEEP_QUEUED_AFTER_MS: "0",
          TSC_BIND_ADDRESS: bindIp,
          TSC_OPENFLOW_PORT: String(tscPort),
          WORKER_CONCURRENCY: "4",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      await started(
        worker,
        "worker started",
        (d) => (log += d),
        () => log,
      );
    },
    killWorker() {
      worker?.kill("SIGKILL");
    },
    async killConsole() {
      const c = consoleProcess;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGKILL");
      await gone;
    },
    startConsole: () =>
      o.separateConsole ? startConsole() : Promise.reject(new Error("the console runs in this process")),
    consoleLog: () => consoleLog,
    controlPlanePids: () => [consoleProcess?.pid, worker?.pid].filter((x): x is number => x !== undefined),
    workerLog: () =>
      `${log}${worker && worker.exitCode !== null ? `\n[worker exited with code ${worker.exitCode}, signal ${worker.signalCode}]` : ""}`,
    async close() {
      if (worker && worker.exitCode === null) {
        worker.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 500));
        if (worker.exitCode === null) worker.kill("SIGKILL");
      }
      await stack.killConsole();
      if (server) await new Promise((r) => server.close(r));
      await producer.close();
      await deps.db.$disconnect();
    },
  };
  return stack;
}
