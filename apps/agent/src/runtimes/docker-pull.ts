import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { imageRegistryOf, type ContainerEnv, type RegistryPull } from "@nvi/contracts";
import type { StreamsRunner } from "../runner.ts";

/**
 * What `docker run` needs besides its argv, kept out of argv and out of the host's own Docker
 * configuration (issue 17, item 6):
 * - a container's environment goes in an env-file (0600, in a 0700 directory of its own) that is
 *   removed as soon as `docker run` returns: `ps` never shows a value, nothing stays on disk;
 * - an image is pulled with a Docker client configuration of its own (`docker --config DIR pull`,
 *   the account's auth in DIR/config.json, 0600), removed after the pull: never `docker login`,
 *   which would leave the account in the host's global configuration for everyone on it.
 */

/** A fresh private directory for one command, removed afterwards whatever happens. */
async function withPrivateDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), "nvi-docker-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Calls `fn` with the `docker run` options that hand over `env` (an `--env-file`), none when it is
 * empty. Names and values were checked by the console and are checked again here (no line break
 * may start a second variable).
 */
export async function withEnvFile<T>(env: ContainerEnv | undefined, fn: (opts: string[]) => Promise<T>): Promise<T> {
  const entries = Object.entries(env ?? {});
  if (entries.length === 0) return fn([]);
  for (const [k, v] of entries)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\0\r\n]/.test(v))
      throw new Error(`refusing environment variable ${JSON.stringify(k.slice(0, 40))}: bad name or value`);
  return withPrivateDir(async (dir) => {
    const file = path.join(dir, "env");
    await writeFile(file, entries.map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
    return fn(["--env-file", file]);
  });
}

export const PULL_TIMEOUT_MS = 10 * 60_000;

/** Docker's own words for what went wrong, as one clear sentence (the first line of its message follows). */
export function pullFailure(image: string, server: string, message: string): string {
  const m = message.toLowerCase();
  const said = message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("Command failed"))
    .join(" ")
    .slice(0, 300);
  if (
    /unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied: access/.test(
      m,
    )
  )
    return `registry ${server} refused the credentials for ${image} (${said})`;
  if (/manifest unknown|not found|name unknown|does not exist/.test(m))
    return `image ${image} not found in registry ${server} (${said})`;
  if (
    /connection refused|no such host|i\/o timeout|network is unreachable|dial tcp|tls: |server gave http response|timeout|context deadline/.test(
      m,
    )
  )
    return `registry ${server} unreachable for ${image} (${said})`;
  return `pulling ${image} from ${server} failed (${said})`;
}

/**
 * Pulls `image` from the cloud's registry, with its account if it has one. Only an image that names
 * that registry is pulled (the console sends the registry only then; the agent checks again).
 */
export async function pullImage(streams: StreamsRunner, image: string, registry: RegistryPull): Promise<void> {
  if (imageRegistryOf(image) !== registry.server)
    throw new Error(`refusing to pull ${image}: it does not name the cloud's registry ${registry.server}`);
  await withPrivateDir(async (dir) => {
    const auths =
      registry.username && registry.password
        ? {
            [registry.server]: {
              auth: Buffer.from(`${registry.username}:${registry.password}`, "utf8").toString("base64"),
            },
          }
        : {};
    await writeFile(path.join(dir, "config.json"), JSON.stringify({ auths }), { mode: 0o600 });
    try {
      await streams("docker", ["--config", dir, "pull", "--quiet", "--", image], {
        timeoutMs: PULL_TIMEOUT_MS,
        maxBytes: 1 << 20,
      });
    } catch (e) {
      throw new Error(pullFailure(image, registry.server, e instanceof Error ? e.message : String(e)));
    }
  });
}
