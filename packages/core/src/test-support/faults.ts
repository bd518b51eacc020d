import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Fault injection for integration tests (`@nvi/core/test-support/faults`), never touching the
 * machine's shared Postgres and Redis: a private redis-server in a temp dir that a test stops and
 * starts on the same port, and a TCP proxy in front of the shared Postgres that a test cuts (every
 * connection reset, new ones refused) and restores, which is what a client sees of a restart.
 */

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} within ${ms} ms`);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

export interface PrivateRedis {
  url: string;
  /** SIGKILL: what a crash looks like (an AOF written so far survives it). */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The configuration the project starts Redis with (scripts/lib/setup.sh). */
export const PROJECT_REDIS_CONF = fileURLToPath(new URL("../../../../infra/redis/nvi-redis.conf", import.meta.url));

/** A redis-server of this test alone, started with the project's configuration (AOF, noeviction) unless told otherwise. */
export async function privateRedis(o: { appendonly?: boolean } = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), "nvi-redis-"));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child) return;
    const args = [PROJECT_REDIS_CONF, "--port", String(port), "--bind", "127.0.0.1", "--dir", dir];
    if (o.appendonly === false) args.push("--appendonly", "no");
    child = spawn("redis-server", args, { stdio: "ignore" });
    await until(() => answers(port), 5_000, "redis-server did not listen");
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await gone;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CutProxy {
  port: number;
  /** Resets every connection and refuses new ones until `restore`. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy to `target` (host:port) that a test can cut like a restarting server. */
export async function cutProxy(target: { host: string; port: number }): Promise<CutProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = async () => {
    if (server) return;
    server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
  };
  const cut = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}

/** The same Postgres URL through the proxy's port. */
export function viaPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(port);
  return u.toString();
}
