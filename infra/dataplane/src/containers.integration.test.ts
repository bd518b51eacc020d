/* eslint-disable @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- REST answers are JSON, checked by the assertions */
import path from "node:path";
import { run } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dockerd } from "./dockerd.ts";
import { startInstancesJourney, type InstancesJourney } from "./instances-journey.ts";
import type { Journey } from "./journey.ts";
import { startRegistry, type Registry } from "./registry.ts";

/**
 * Containers people use (issue 17, item 6) on real parts: the REST API, the worker, real agents and
 * a real dockerd. A container launched with a command (argv) and environment variables runs with
 * exactly those (seen inside it with `docker exec`), its output is read through the API, and images
 * are pulled from a real registry (Debian's docker-registry on loopback, htpasswd) with the cloud's
 * account: right credentials pull, wrong ones fail with that reason, an unknown image says so.
 */
let ij: InstancesJourney;
let j: Journey;
let dockerd: Dockerd;
let registry: Registry;
const ACCOUNT = { username: "puller", password: "lab-registry-pass-1" };
const SECRET = "lab-secret-token-do-not-show";

beforeAll(async () => {
  ij = await startInstancesJourney({ docker: true });
  j = ij.j;
  dockerd = ij.dockerd!;
  registry = await startRegistry(path.join(j.lab.runDir, "registry"), ACCOUNT);
});

afterAll(async () => {
  await registry?.stop();
  await ij?.close();
});

const docker = (...args: string[]) => run("docker", args, { env: { DOCKER_HOST: dockerd.host } });

describe("a container launched with a command and an environment", () => {
  let id: string;

  it("runs exactly that argv with those variables, shown by name only", async () => {
    const l = await j.launch("env-box", "dc2", {
      runtime: "docker",
      image: dockerd.image,
      memoryMiB: 64,
      // argv, no shell on the host: `$(…)` and `;` reach sh inside the container as written
      command: [
        "sh",
        "-c",
        'echo "greeting=$GREETING"; echo to-stderr >&2; echo "\u001b[31mcoloured\u001b[0m"; exec sleep 1000000',
      ],
      env: { GREETING: "hello lab", SECRET_TOKEN: SECRET },
    });
    id = l.instance.id;
    const op = await j.finished(l.operationId);
    expect(op.status, op.error).toBe("succeeded");
    const shown = (await j.stack.call("GET", `/instances/${id}`)).body;
    expect(shown).toMatchObject({
      envNames: ["GREETING", "SECRET_TOKEN"],
      command: expect.arrayContaining(["sh", "-c"]),
    });
    expect(JSON.stringify((await j.stack.call("GET", "/instances")).body)).not.toContain(SECRET);

    const inside = await docker("exec", `nvi-${id}`, "env");
    expect(inside).toContain("GREETING=hello lab");
    expect(inside).toContain(`SECRET_TOKEN=${SECRET}`);
    expect(JSON.parse(await docker("inspect", "-f", "{{json .Config.Cmd}}", `nvi-${id}`))).toEqual(shown.command);
    // the labels (the spec a restart re-plugs from) hold no value
    expect(await docker("inspect", "-f", "{{json .Config.Labels}}", `nvi-${id}`)).not.toContain(SECRET);
  });

  it("shows its output through the API: stdout and stderr, control sequences removed", async () => {
    const logs = await j.until("the container's output", async () => {
      const r = await j.stack.call("POST", `/instances/${id}/logs`, { lines: 50 });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.text.includes("to-stderr") ? r.body : undefined;
    });
    expect(logs.text).toContain("greeting=hello lab");
    expect(logs.text).toContain("coloured");
    expect(logs.text).not.toContain("\u001b");
    expect(logs.truncated).toBe(false);
    const audit = (await j.stack.call("GET", `/audit-events?action=instance.logs`)).body;
    expect(JSON.stringify(audit)).toContain(id);
  });
});

describe("pulling from the cloud's registry", () => {
  let good: string;
  let other: string;

  beforeAll(async () => {
    good = await registry.push(dockerd.host, dockerd.image, "lab/busybox:1");
    other = await registry.push(dockerd.host, dockerd.image, "lab/busybox:2");
  });

  it("without a registry set, an absent image is refused as before (nothing is pulled)", async () => {
    const l = await j.launch("no-reg", "dc2", { runtime: "docker", image: good, memoryMiB: 64 });
    const op = await j.finished(l.operationId);
    expect(op.status).toBe("failed");
    expect(op.error).toMatch(/is not on this host/);
  });

  it("with wrong credentials fails with that reason", async () => {
    const set = await j.stack.call("PUT", `/clouds/${j.clouds.dc2}/registry`, {
      server: registry.server,
      username: ACCOUNT.username,
      password: "wrong-password",
    });
    expect(set.body).toMatchObject({ server: registry.server, password: "set" });
    const l = await j.launch("bad-creds", "dc2", { runtime: "docker", image: other, memoryMiB: 64 });
    const op = await j.finished(l.operationId, 120_000);
    expect(op.status).toBe("failed");
    expect(op.error).toMatch(/refused the credentials/);
  });

  it("with the right credentials pulls and runs it; the password is never returned", async () => {
    await j.stack.call("PUT", `/clouds/${j.clouds.dc2}/registry`, {
      server: registry.server,
      username: ACCOUNT.username,
      password: ACCOUNT.password,
    });
    const shown = await j.stack.call("GET", `/clouds/${j.clouds.dc2}/registry`);
    expect(shown.body).toEqual(expect.objectContaining({ password: "set" }));
    expect(JSON.stringify(shown.body)).not.toContain(ACCOUNT.password);
    const l = await j.launch("pulled", "dc2", {
      runtime: "docker",
      image: other,
      memoryMiB: 64,
      command: ["sleep", "1000000"],
    });
    const op = await j.finished(l.operationId, 120_000);
    expect(op.status, op.error).toBe("succeeded");
    expect(await docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}")).toContain(other);
    // the throwaway client configuration is gone; the daemon's host has no login of ours
    expect(await run("sh", ["-c", "ls -d /tmp/nvi-docker-* 2>/dev/null || true"])).toBe("");
  });

  it("an image the registry does not have is reported as not found", async () => {
    const l = await j.launch("no-such", "dc2", {
      runtime: "docker",
      image: `${registry.server}/lab/nosuch:1`,
      memoryMiB: 64,
    });
    const op = await j.finished(l.operationId, 120_000);
    expect(op.status).toBe("failed");
    expect(op.error).toMatch(/not found/);
  });
});
