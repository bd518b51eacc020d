import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LOG_LIMITS } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import type { StreamsRunner } from "../runner.ts";
import { instanceSpec } from "../test-support/spec.ts";
import { labelSpec, startDocker } from "./docker.ts";
import { mergeLogs, readDockerLogs } from "./docker-logs.ts";
import { pullFailure, pullImage } from "./docker-pull.ts";

const spec = instanceSpec({ runtime: "docker", image: "alpine:3.20" });

/** A host where no container exists yet and every docker call is recorded (and fails after `run`, which is all we look at). */
function recorder() {
  const calls: string[][] = [];
  const run = (cmd: string, args: readonly string[]) => {
    calls.push([cmd, ...args]);
    if (cmd === "docker" && args[0] === "inspect") return Promise.reject(new Error("no such container"));
    if (cmd === "docker" && args[0] === "image") return Promise.resolve("[]");
    return Promise.reject(new Error("stop here"));
  };
  return { calls, run };
}

describe("docker runtime argv", () => {
  it("refuses an image that is not a reference before running anything", async () => {
    for (const image of ["--privileged", "../../etc/passwd", "-v/:/host"]) {
      const { calls, run } = recorder();
      await expect(startDocker(run, "br-veb", { ...spec, image }, "host_1")).rejects.toThrow(/not an image reference/);
      expect(calls.filter(([cmd, sub]) => cmd === "docker" && (sub === "run" || sub === "image"))).toEqual([]);
    }
  });

  it("ends docker's options with -- before the image", async () => {
    const { calls, run } = recorder();
    await startDocker(run, "br-veb", spec, "host_1").catch(() => undefined);
    const image = calls.find(([, sub]) => sub === "image")!;
    expect(image.slice(-2)).toEqual(["--", "alpine:3.20"]);
    const started = calls.find(([, sub]) => sub === "run")!;
    expect(started.slice(-2)).toEqual(["--", "alpine:3.20"]);
  });
});

describe("a container's command, environment and registry", () => {
  /** Records each docker call with what its env-file held at that moment (it is gone right after). */
  function withFiles() {
    const calls: { argv: string[]; envFile: string | null }[] = [];
    const run = async (cmd: string, args: readonly string[]) => {
      const at = args.indexOf("--env-file");
      const envFile = at >= 0 ? await readFile(args[at + 1]!, "utf8") : null;
      calls.push({ argv: [cmd, ...args], envFile });
      if (cmd === "docker" && args[0] === "inspect") throw new Error("no such container");
      if (cmd === "docker" && args[0] === "image") return "[]";
      throw new Error("stop here");
    };
    return { calls, run };
  }

  it("passes the command as argv after the image and the environment in a private env-file removed afterwards", async () => {
    const { calls, run } = withFiles();
    const s = { ...spec, args: ["sh", "-c", "echo $A; x; $(rm -rf /)"], env: { A: "1", TOKEN: "very-secret" } };
    await startDocker(run, "br-veb", s, "host_1").catch(() => undefined);
    const started = calls.find(({ argv }) => argv[1] === "run")!;
    expect(started.argv.slice(-5)).toEqual(["--", "alpine:3.20", "sh", "-c", "echo $A; x; $(rm -rf /)"]);
    expect(started.envFile).toBe("A=1\nTOKEN=very-secret\n");
    // the values are nowhere in argv (ps shows argv), nor on the labels (docker inspect shows them)
    expect(started.argv.join(" ")).not.toContain("very-secret");
    const file = started.argv[started.argv.indexOf("--env-file") + 1]!;
    expect(existsSync(file)).toBe(false);
    expect(existsSync(path.dirname(file))).toBe(false);
  });

  it("refuses an environment value with a line break (a second variable) before running docker", async () => {
    const { calls, run } = withFiles();
    await expect(
      startDocker(run, "br-veb", { ...spec, env: { A: "x\nLD_PRELOAD=/evil.so" } }, "host_1"),
    ).rejects.toThrow(/bad name or value/);
    expect(calls.filter(({ argv }) => argv[1] === "run")).toEqual([]);
  });

  it("keeps the environment and the registry account off the labels", () => {
    const s = {
      ...spec,
      env: { TOKEN: "very-secret" },
      registry: { server: "r.example:5000", username: "u", password: "pw" },
    };
    const label = JSON.stringify(labelSpec(s));
    expect(label).not.toContain("very-secret");
    expect(label).not.toContain("pw");
    expect(labelSpec(s)).toEqual(spec);
  });

  it("pulls an absent image that names the cloud's registry with a throwaway client config, never docker login", async () => {
    const seen: { argv: readonly string[]; config: string | null }[] = [];
    const streams: StreamsRunner = async (cmd, args) => {
      const at = args.indexOf("--config");
      const config = at >= 0 ? await readFile(path.join(args[at + 1]!, "config.json"), "utf8") : null;
      seen.push({ argv: [cmd, ...args], config });
      return { stdout: "", stderr: "" };
    };
    const image = "r.example:5000/team/app:1";
    // a password no random temp directory name can contain by chance ("pw" once did: nvi-docker-9kTpw9)
    const password = "registry-secret-Zq7!";
    await pullImage(streams, image, { server: "r.example:5000", username: "u", password });
    expect(seen).toHaveLength(1);
    const { argv, config } = seen[0]!;
    expect(argv.slice(0, 2)).toEqual(["docker", "--config"]);
    expect(argv.slice(3)).toEqual(["pull", "--quiet", "--", image]);
    expect(argv.join(" ")).not.toContain(password);
    expect(JSON.parse(config!)).toEqual({
      auths: { "r.example:5000": { auth: Buffer.from(`u:${password}`).toString("base64") } },
    });
    expect(existsSync(argv[2]!)).toBe(false);
    await expect(pullImage(streams, "evil.example/app:1", { server: "r.example:5000" })).rejects.toThrow(
      /does not name the cloud's registry/,
    );
    expect(seen).toHaveLength(1);
  });

  it("says what a failed pull means", () => {
    const f = (m: string) => pullFailure("r:5000/a:1", "r:5000", `Command failed: docker pull\n${m}`);
    expect(f('Error response from daemon: Head "http://r:5000/v2/a/manifests/1": no basic auth credentials')).toMatch(
      /^registry r:5000 refused the credentials/,
    );
    expect(f("Error response from daemon: unauthorized: authentication required")).toMatch(/refused the credentials/);
    expect(f("Error response from daemon: manifest for r:5000/a:1 not found: manifest unknown")).toMatch(
      /^image r:5000\/a:1 not found/,
    );
    expect(
      f('Error response from daemon: Get "http://r:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused'),
    ).toMatch(/^registry r:5000 unreachable/);
  });
});

describe("a container's logs", () => {
  it("merge stdout and stderr by time, strip control sequences, and keep the newest lines within the byte cap", () => {
    const out = "2026-12-06T01:00:00.1Z one\n2026-12-06T01:00:00.3Z \u001b[1mthree\u001b[0m\n";
    const err = "2026-12-06T01:00:00.2Z two\n2026-12-06T01:00:00.25Z two and a half\n";
    expect(mergeLogs(out, err, 10)).toEqual({
      text: [
        "2026-12-06T01:00:00.1Z one",
        "2026-12-06T01:00:00.2Z two",
        "2026-12-06T01:00:00.25Z two and a half",
        "2026-12-06T01:00:00.3Z three",
      ].join("\n"),
      truncated: false,
    });
    expect(mergeLogs(out, err, 2)).toMatchObject({ truncated: true });
    expect(mergeLogs(out, err, 2).text.split("\n")).toHaveLength(2);
    const big = Array.from(
      { length: 1000 },
      (_, i) => `2026-12-06T01:00:00.${String(i).padStart(3, "0")}Z ${"x".repeat(100)}`,
    );
    const capped = mergeLogs(big.join("\n"), "", 1000);
    expect(Buffer.byteLength(capped.text)).toBeLessThanOrEqual(LOG_LIMITS.maxBytes);
    expect(capped.truncated).toBe(true);
    expect(capped.text.endsWith(big.at(-1)!)).toBe(true);
  });

  it("reads them with docker logs --timestamps --tail, the name after --", async () => {
    const seen: (readonly string[])[] = [];
    const streams: StreamsRunner = (cmd, args) => {
      seen.push([cmd, ...args]);
      return Promise.resolve({ stdout: "2026-12-06T01:00:00Z hi\n", stderr: "" });
    };
    expect(await readDockerLogs(streams, "nvi-inst_1", 5000)).toEqual({
      text: "2026-12-06T01:00:00Z hi",
      truncated: false,
    });
    expect(seen[0]).toEqual([
      "docker",
      "logs",
      "--timestamps",
      "--tail",
      String(LOG_LIMITS.maxLines),
      "--",
      "nvi-inst_1",
    ]);
  });
});
