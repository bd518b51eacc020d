/**
 * What one console read costs in CPU, the console's process and Postgres's apart: the two reads the
 * policy bench's `--console-rps` sends (`GET /groups`, `GET /operations`, a page of 50), served by
 * the lab's console process (`infra/dataplane/src/console-main.ts`) on the real core, no lab.
 *
 *   node --import tsx bench/policy/read-cost.ts [--reads 400] [--rounds 3] [--console /tmp/prev-clone] [--cpu-prof DIR]
 *
 * With `--console DIR`, a console from another checkout (its `console-main.ts`, its core) serves
 * the same tenant in turns with this one, round by round, so the ratio is taken side by side on
 * the same machine minutes apart. CPU is read from /proc (the console's process; every `postgres`
 * process, the pooled backends the console talks to): user + system, clock ticks. The client (this
 * process) is not counted. Reads go one at a time, keep-alive, after a warm-up.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- REST answers are JSON */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { ALL_SCOPES } from "../../packages/contracts/src/index.ts";
import {
  createApiToken,
  createCoreDeps,
  ensurePersonalOrganization,
  resolveUserActor,
} from "../../packages/core/src/index.ts";

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const READS = Number(arg("reads") ?? "400");
const ROUNDS = Number(arg("rounds") ?? "3");
const OTHER = arg("console");
/** `--cpu-prof DIR`: each console writes a V8 CPU profile there when it is stopped (open it in Chrome's DevTools) */
const PROFILE_DIR = arg("cpu-prof");
const HERE = path.resolve(import.meta.dirname, "../..");
const PATHS = ["/groups", "/operations"] as const;
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const log = (s: string): void => console.error(`[read-cost] ${s}`);
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/** user + system CPU of these processes, ms (a process gone meanwhile counts 0) */
const cpuMs = (pids: readonly number[]): number =>
  pids.reduce((sum, pid) => {
    try {
      // fields after the command's closing parenthesis: utime and stime are the 12th and 13th
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop()!.trim().split(" ");
      return sum + (Number(f[11]) + Number(f[12])) * TICK_MS;
    } catch {
      return sum;
    }
  }, 0);
const postgresPids = (): number[] =>
  execFileSync("pgrep", ["-x", "postgres"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** a console from `root` in a process of its own, as the policy bench runs it */
async function startConsole(root: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const secret = process.env.FABRIC_CA_SECRET ?? process.env.AUTH_SECRET ?? "nvi-read-cost-secret-0123456789abcdef";
  // a profiled console leaves on SIGTERM through process.exit, which writes the profile
  const profile = PROFILE_DIR
    ? [
        "--cpu-prof",
        `--cpu-prof-dir=${PROFILE_DIR}`,
        "--import",
        "data:text/javascript,process.on('SIGTERM',()=>process.exit(0))",
      ]
    : [];
  const main = path.join(root, "infra/dataplane/src/console-main.ts");
  const child = spawn(process.execPath, [...profile, "--import", "tsx", main], {
    cwd: path.join(root, "infra/dataplane"),
    env: {
      ...process.env,
      QUEUE_PREFIX: `nvibench-${Date.now()}`,
      FABRIC_CA_SECRET: secret,
      NVI_SECRETS_KEY: process.env.NVI_SECRETS_KEY ?? secret,
      CONSOLE_BIND: "127.0.0.1",
      CONSOLE_PORT: String(port),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("console listening") && resolve());
    child.once("exit", (code) => reject(new Error(`the console from ${root} exited (${code})`)));
  });
  return { child, url: `http://127.0.0.1:${port}/api/v1` };
}

const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
const user = await deps.db.user.create({
  data: { id: deps.newId("user"), email: `read-cost-${Date.now()}@example.test`, name: "read-cost" },
});
const orgId = await ensurePersonalOrganization(deps, user, "127.0.0.1");
const actor = await resolveUserActor(deps, { userId: user.id, preferredOrgId: orgId, sourceIp: "127.0.0.1" });
const token = (
  await createApiToken({ ...deps, actor }, { name: "read-cost", scopes: [...ALL_SCOPES], expiresInDays: 1 })
).secret;
const call = async (url: string, method: string, p: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};

const trees = [{ name: "this checkout", root: HERE }, ...(OTHER ? [{ name: OTHER, root: path.resolve(OTHER) }] : [])];
/** per tree and path: CPU ms per read, console and Postgres, one entry per round */
const results = new Map<string, { console: number[]; postgres: number[]; wallMs: number[] }>();
const consoles: ChildProcess[] = [];
try {
  // the tenant as the policy bench leaves it: one VPC, its default group plugged to itself, a
  // page and more of policy operations (queued: no worker runs here, so none is ever started)
  const first = await startConsole(HERE);
  consoles.push(first.child);
  await call(first.url, "POST", "/vpcs", { name: "reads", cidr: "10.62.0.0/16" });
  const def = ((await call(first.url, "GET", "/groups")) as any[]).find((g) => g.name === "default");
  for (let k = 0; k < 30; k++)
    for (const verb of ["unplug", "plug"])
      await call(first.url, "POST", `/policy/${verb}`, { srcGroupId: def.id, dstGroupId: def.id });
  first.child.kill();
  log(`load average ${loadavg()}; ${ROUNDS} rounds × ${READS} reads per path, one at a time`);
  for (let round = 1; round <= ROUNDS; round++) {
    // in turns: the other checkout first in even rounds, so neither always runs on a warmer machine
    const order = round % 2 === 0 ? [...trees].reverse() : trees;
    for (const tree of order) {
      const { child, url } = await startConsole(tree.root);
      consoles.push(child);
      for (const p of PATHS) for (let k = 0; k < 50; k++) await call(url, "GET", p);
      for (const p of PATHS) {
        const pg = postgresPids();
        const [c0, p0, t0] = [cpuMs([child.pid!]), cpuMs(pg), performance.now()];
        for (let k = 0; k < READS; k++) await call(url, "GET", p);
        const [c1, p1, t1] = [cpuMs([child.pid!]), cpuMs(pg), performance.now()];
        const r = results.get(`${tree.name} ${p}`) ?? { console: [], postgres: [], wallMs: [] };
        r.console.push((c1 - c0) / READS);
        r.postgres.push((p1 - p0) / READS);
        r.wallMs.push((t1 - t0) / READS);
        results.set(`${tree.name} ${p}`, r);
        log(
          `round ${round}, ${tree.name}, GET ${p}: console ${((c1 - c0) / READS).toFixed(2)} ms, Postgres ${((p1 - p0) / READS).toFixed(2)} ms of CPU a read`,
        );
      }
      child.kill();
      await new Promise((r) => child.once("exit", r));
    }
  }
  const span = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\nload average ${loadavg()} (after)\n`);
  console.log("| console | read | console CPU ms / read | Postgres CPU ms / read | both | wall ms / read |");
  console.log("|---|---|---|---|---|---|");
  for (const [k, r] of results) {
    const both = r.console.map((c, i) => c + r.postgres[i]!);
    const [tree, p] = [k.slice(0, k.lastIndexOf(" ")), k.slice(k.lastIndexOf(" ") + 1)];
    console.log(
      `| ${tree} | GET ${p} | ${span(r.console)} | ${span(r.postgres)} | ${span(both)} | ${span(r.wallMs)} |`,
    );
  }
  if (OTHER)
    for (const p of PATHS) {
      const [a, b] = [results.get(`this checkout ${p}`)!, results.get(`${trees[1]!.name} ${p}`)!];
      const cost = (r: typeof a) => mean(r.console.map((c, i) => c + r.postgres[i]!));
      console.log(`\nGET ${p}: this checkout's CPU a read is ${(cost(a) / cost(b)).toFixed(2)}× the other's`);
    }
} finally {
  for (const c of consoles) if (c.exitCode === null) c.kill();
  await deps.db.organization.delete({ where: { id: orgId } }).catch((e: Error) => console.error(e.message));
  await deps.db.user.delete({ where: { id: user.id } }).catch(() => undefined);
  await deps.db.$disconnect();
}
