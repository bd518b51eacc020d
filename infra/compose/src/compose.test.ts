import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const exec = promisify(execFile);
const HERE = path.resolve(import.meta.dirname, "..");
const REPO = path.resolve(HERE, "../..");
const has = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/** Compose v2 (`docker compose`) where the plugin is installed, else Debian 12's v1 (`docker-compose`). */
const composeCli = has("docker", ["compose", "version"])
  ? ["docker", "compose"]
  : has("docker-compose", ["version"])
    ? ["docker-compose"]
    : undefined;
const COMPOSE_FILE = path.join(HERE, "docker-compose.yml");

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
}
const compose = async () =>
  parse(await readFile(COMPOSE_FILE, "utf8"), { merge: true }) as {
    services: Record<string, Service>;
  };

describe("infra/compose", () => {
  it("runs console, worker, Postgres, Redis and Caddy; Redis keeps every job (AOF, noeviction)", async () => {
    const { services } = await compose();
    expect(Object.keys(services).sort()).toEqual(["caddy", "console", "postgres", "redis", "worker"]);
    expect(services.redis!.command).toEqual(
      expect.arrayContaining(["--appendonly", "yes", "--maxmemory-policy", "noeviction"]),
    );
    for (const s of ["postgres", "redis", "console"]) expect(services[s]!.healthcheck, s).toBeDefined();
    expect(services.console!.depends_on).toMatchObject({ postgres: { condition: "service_healthy" } });
    // migrations on start, then the server
    expect(services.console!.command!.join(" ")).toMatch(/pnpm db:deploy && exec node apps\/web\/server\.mjs/);
    // only Caddy (80/443) and the TSC's OpenFlow port are published; the console sits behind TLS
    expect(services.console!.ports).toBeUndefined();
    expect(services.worker!.ports).toEqual(["6653:6653"]);
    expect(services.caddy!.ports).toEqual(["80:80", "443:443"]);
  });

  it("gives the apps only variables they read (a typo would be ignored silently)", async () => {
    const { services } = await compose();
    const sources = {
      console:
        (await readFile(path.join(REPO, "apps/web/src/env.ts"), "utf8")) +
        (await readFile(path.join(REPO, "apps/web/server.mjs"), "utf8")),
      worker: await readFile(path.join(REPO, "apps/worker/src/env.ts"), "utf8"),
    };
    for (const [name, source] of Object.entries(sources)) {
      for (const key of Object.keys(services[name]!.environment ?? {}))
        expect(source.includes(key) || key === "NODE_ENV", `${name}: ${key}`).toBe(true);
    }
    const caddy = await readFile(path.join(HERE, "Caddyfile"), "utf8");
    expect(caddy).toMatch(/reverse_proxy \{\$NVI_CONSOLE_UPSTREAM:console:3000\}/);
    expect(caddy).toMatch(/Strict-Transport-Security/);
  });

  describe.skipIf(!composeCli)(`${composeCli?.join(" ")} config`, () => {
    // only PATH and HOME: a secret exported in the test's own environment would fill the file's gaps
    const config = (envFile: string) => {
      const [cmd = "docker", ...pre] = composeCli ?? [];
      return exec(cmd, [...pre, "--env-file", envFile, "-f", COMPOSE_FILE, "config", "-q"], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
    };

    it("accepts the file with env.example", async () => {
      await config(path.join(HERE, "env.example"));
    });

    it("refuses to run without AUTH_SECRET, naming it", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "nvi-compose-"));
      try {
        const example = await readFile(path.join(HERE, "env.example"), "utf8");
        await writeFile(path.join(dir, "env"), example.replace(/^AUTH_SECRET=.*$/m, ""));
        await expect(config(path.join(dir, "env"))).rejects.toMatchObject({
          stderr: expect.stringMatching(/set AUTH_SECRET in \.env/),
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  it.skipIf(!has("systemd-analyze", ["--version"]))(
    "has console and worker units systemd-analyze accepts",
    async () => {
      const units = ["nvi-console.service", "nvi-worker.service"].map((u) => path.join(REPO, "infra/systemd", u));
      const { stderr } = await exec("systemd-analyze", ["verify", ...units]);
      expect(stderr.split("\n").filter((l) => l.includes("nvi-"))).toEqual([]);
    },
  );
});
