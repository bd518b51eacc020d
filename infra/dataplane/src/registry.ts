import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { run } from "@nvi/lab";

/**
 * A real image registry for a lab test: Debian's `docker-registry` (the distribution registry),
 * on loopback, with htpasswd (bcrypt) authentication and its storage under `dir`. Docker speaks
 * plain HTTP to 127.0.0.0/8 without any daemon setting. `push` copies a local image into it with a
 * throwaway client configuration (the account written into it, never the host's own) and drops the local tag,
 * so a host has to pull it. Stopped by its PID; its files go with it.
 */
export interface Registry {
  /** `127.0.0.1:PORT`, as image references name it */
  server: string;
  push(dockerHost: string, localImage: string, name: string): Promise<string>;
  stop(): Promise<void>;
}

export const REGISTRY_BINARY = "/usr/bin/docker-registry";

async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startRegistry(dir: string, account: { username: string; password: string }): Promise<Registry> {
  if (!existsSync(REGISTRY_BINARY) || !existsSync("/usr/bin/htpasswd"))
    throw new Error("docker-registry or htpasswd missing: apt-get install docker-registry apache2-utils");
  await mkdir(path.join(dir, "data"), { recursive: true });
  const htpasswd = await run("htpasswd", ["-Bbn", account.username, account.password]);
  await writeFile(path.join(dir, "htpasswd"), htpasswd, { mode: 0o600 });
  const port = await freeLoopbackPort();
  const server = `127.0.0.1:${port}`;
  const config = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${path.join(dir, "data")}`,
    "http:",
    `  addr: ${server}`,
    "auth:",
    "  htpasswd:",
    "    realm: nvi-lab",
    `    path: ${path.join(dir, "htpasswd")}`,
    "",
  ].join("\n");
  await writeFile(path.join(dir, "config.yml"), config);
  const child = spawn(REGISTRY_BINARY, ["serve", path.join(dir, "config.yml")], {
    stdio: ["ignore", "ignore", "ignore"],
    detached: true,
  });
  child.unref();
  const pid = child.pid;
  const stop = async () => {
    if (pid && existsSync(`/proc/${pid}`)) {
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
      if (existsSync(`/proc/${pid}`)) process.kill(pid, "SIGKILL");
    }
    await rm(dir, { recursive: true, force: true });
  };
  const end = Date.now() + 15_000;
  // /v2/ answers 401 once it listens (it wants the account)
  for (;;) {
    const status = await fetch(`http://${server}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) break;
    if (Date.now() > end) {
      await stop();
      throw new Error(`the registry did not start on ${server} (last answer: ${status})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    server,
    async push(dockerHost, localImage, name) {
      const ref = `${server}/${name}`;
      const config = path.join(dir, "client");
      await mkdir(config, { recursive: true, mode: 0o700 });
      const env = { DOCKER_HOST: dockerHost };
      const auth = Buffer.from(`${account.username}:${account.password}`).toString("base64");
      await writeFile(path.join(config, "config.json"), JSON.stringify({ auths: { [server]: { auth } } }), {
        mode: 0o600,
      });
      await run("docker", ["tag", localImage, ref], { env });
      await run("docker", ["--config", config, "push", "--quiet", ref], { env, timeoutMs: 60_000 });
      await run("docker", ["rmi", ref], { env });
      await rm(config, { recursive: true, force: true });
      return ref;
    },
    stop,
  };
}
