/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- REST answers are JSON, checked by the assertions */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { run, startAgent, stopAgent, vsctl, type LabState } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchRunning, startInstancesJourney, type InstancesJourney } from "./instances-journey.ts";
import type { Journey } from "./journey.ts";
import { ROOT, type Stack } from "./stack.ts";

/**
 * The operator's side of the instance journey on real parts (REST API with an API token → Postgres
 * → BullMQ → the real worker with the TSC → real agents in two lab datacenters), with web-1 (dc1)
 * and db-2 (dc2) running from the start: the CLI walks launch → list → stop → start → restart →
 * terminate; a rotated host credential reaches the real agent; a worker killed with SIGKILL
 * mid-launch finishes the launch exactly once after a restart; a launch cancelled while it waits is
 * removed from the host again; an agent restart leaves no duplicate. Launch, Docker, stop/start:
 * `instances.integration.test.ts`.
 */
let ij: InstancesJourney;
let j: Journey;
let lab: LabState;
let stack: Stack;
let subnets: Journey["subnets"];
let hostIds: Journey["hostIds"];
let agentCommand: Journey["agentCommand"];
const until: Journey["until"] = (...args) => j.until(...args);
const launch: Journey["launch"] = (...args) => j.launch(...args);
const finished: Journey["finished"] = (...args) => j.finished(...args);
const pingFrom: Journey["pingFrom"] = (...args) => j.pingFrom(...args);

beforeAll(async () => {
  ij = await startInstancesJourney();
  j = ij.j;
  ({ lab, stack, subnets, hostIds, agentCommand } = j);
  await launchRunning(j, [
    ["web-1", "dc1"],
    ["db-2", "dc2"],
  ]);
});

afterAll(async () => {
  await ij?.close();
});

describe("the CLI, with an API token", () => {
  const cli = async (...argv: string[]): Promise<{ code: number; out: string }> => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [path.join(ROOT, "apps/cli/bin/nvi.mjs"), ...argv], {
      env: { ...process.env, NVI_CONFIG: path.join(lab.runDir, "cli.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? 1)));
    return { code, out };
  };

  it("logs in, launches, lists, stops, starts, restarts, terminates", async () => {
    expect((await cli("login", "--url", stack.apiUrl, "--token", stack.token)).code).toBe(0);
    const launched = JSON.parse(
      (await cli("instances", "launch", "--name", "cli-1", "--subnet", subnets.dc2!, "--json")).out,
    );
    expect(launched).toMatchObject({ name: "cli-1", status: "pending" });
    const op = await until("the CLI's launch", async () => {
      const shown = JSON.parse((await cli("operations", "show", launched.operationId, "--json")).out);
      return ["succeeded", "failed"].includes(shown.status) ? shown : undefined;
    });
    expect(op.status, op.error).toBe("succeeded");
    const table = (await cli("instances", "list")).out;
    expect(table.split("\n")[0]).toMatch(/^ID\s+NAME\s+STATUS\s+ADDRESS/);
    expect(table).toMatch(/cli-1\s+running\s+10\.40\.2\.\d+/);
    const cliOp = async (...argv: string[]) =>
      (await finished(JSON.parse((await cli(...argv, "--json")).out).operationId)).status;
    expect(await cliOp("instances", "stop", launched.id)).toBe("succeeded");
    expect((await cli("instances", "list")).out).toMatch(/cli-1\s+stopped\s+10\.40\.2\.\d+/);
    expect(await cliOp("instances", "start", launched.id)).toBe("succeeded");
    expect(await cliOp("instances", "restart", launched.id)).toBe("succeeded");
    expect((await cli("instances", "list")).out).toMatch(/cli-1\s+running\s+10\.40\.2\.\d+/);
    const web = ((await stack.call("GET", "/instances")).body as any[]).find((i) => i.name === "web-1");
    const reach = JSON.parse((await cli("instances", "reach", launched.id, "--to", web.id, "--json")).out);
    expect(reach).toMatchObject({ from: "cli-1", to: "web-1", over: "ping", result: "open" });
    expect((await cli("instances", "reach", launched.id, "--address", "10.40.1.250", "--tcp", "80")).out).toMatch(
      /result\s+no-answer/,
    );
    const gone = JSON.parse((await cli("instances", "terminate", launched.id, "--json")).out);
    expect((await finished(gone.operationId)).status).toBe("succeeded");
    expect((await cli("instances", "list")).out).not.toContain("cli-1");
    const refused = await cli("instances", "launch", "--name", "cli-2", "--subnet", "sn_00000000000000000000");
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/subnet not found \(NOT_FOUND\)/);
  });
});

describe("host credential rotation", () => {
  it("the real agent picks up its new credential on its next heartbeat; the old one is refused after; commands keep flowing", async () => {
    const h2 = lab.hosts.find((h) => h.dc === 2)!;
    const stateFile = path.join(h2.ovsDir, "agent", "state.json");
    const old = JSON.parse(await readFile(stateFile, "utf8")).credential as string;
    const before = ((await stack.call("GET", "/hosts")).body as any[]).find((h) => h.id === hostIds.dc2);
    const asked = await stack.call("POST", `/hosts/${hostIds.dc2}/rotate-credential`, {});
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    const after = await until(
      "the agent to confirm its new credential",
      async () => {
        const h = ((await stack.call("GET", "/hosts")).body as any[]).find((x) => x.id === hostIds.dc2);
        return h.credentialRotationRequestedAt === null && h.credentialIssuedAt !== before.credentialIssuedAt
          ? h
          : undefined;
      },
      45_000,
    );
    expect(after.status).toBe("online");
    const current = JSON.parse(await readFile(stateFile, "utf8")).credential as string;
    expect(current).toMatch(/^nvh_/);
    expect(current).not.toBe(old);
    const beat = (credential: string) =>
      fetch(`${stack.apiUrl}/api/v1/agent/heartbeat`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
        body: JSON.stringify({ facts: after.facts }),
      });
    expect((await beat(old)).status).toBe(401);
    expect((await beat(current)).status).toBe(200);
    const l = await launch("rot-1", "dc2");
    expect((await finished(l.operationId)).status).toBe("succeeded");
    const audit = (await stack.call("GET", `/audit-events?action=host.credential&limit=10`)).body.events.map(
      (e: any) => e.action,
    );
    expect(audit).toEqual(expect.arrayContaining(["host.credential.rotate", "host.credential.rotated"]));
  });
});

describe("crashes", () => {
  it("a worker killed mid-launch: after a restart the launch completes exactly once", async () => {
    const h1 = lab.hosts.find((h) => h.dc === 1)!;
    await stopAgent(lab.name, h1.id); // the command will wait for the agent: the worker is mid-launch when it dies
    const l = await launch("crash-1", "dc1");
    await until(
      "the launch to be running",
      async () => (await stack.call("GET", `/operations/${l.operationId}`)).body.status === "running",
    );
    stack.killWorker();
    await stack.startWorker();
    await startAgent(lab.name, h1.id, agentCommand[h1.id]);
    const op = await finished(l.operationId, 120_000);
    expect(op.status, op.error).toBe("succeeded");
    expect(
      await stack.deps.db.hostCommand.count({ where: { operationId: l.operationId, kind: "instance.start" } }),
    ).toBe(1);
    const ports = await vsctl(
      h1.ovsDir,
      "--columns=external_ids",
      "find",
      "interface",
      `external_ids:nvi-instance=${l.instance.id}`,
    );
    expect(ports.match(/nvi-instance/g)?.length).toBe(1);
  });

  it("a launch cancelled while it runs: the agent's instance is removed again, the address released, the operation cancelled", async () => {
    const h1 = lab.hosts.find((h) => h.dc === 1)!;
    await stopAgent(lab.name, h1.id); // the launch waits for the agent: it is running when the cancel comes
    const l = await launch("cancel-1", "dc1");
    await until(
      "the launch to be running",
      async () => (await stack.call("GET", `/operations/${l.operationId}`)).body.status === "running",
    );
    const asked = await stack.call("POST", `/operations/${l.operationId}/cancel`, {});
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    expect(asked.body).toMatchObject({ status: "running", cancelledBy: expect.stringContaining("token") });
    await startAgent(lab.name, h1.id, agentCommand[h1.id]);
    const op = await until(
      "the cancellation",
      async () => {
        const r = await stack.call("GET", `/operations/${l.operationId}`);
        return ["succeeded", "failed", "cancelled"].includes(r.body?.status) ? r.body : undefined;
      },
      90_000,
    );
    expect(op.status, op.error).toBe("cancelled");
    expect(
      await stack.deps.db.hostCommand.findMany({
        where: { operationId: l.operationId },
        select: { kind: true, status: true },
        orderBy: { createdAt: "asc" },
      }),
    ).toEqual([
      { kind: "instance.start", status: "done" },
      { kind: "instance.remove", status: "done" },
    ]);
    expect(await run("ip", ["netns", "list"])).not.toContain(l.instance.id);
    expect(
      (
        await vsctl(h1.ovsDir, "--columns=name", "find", "interface", `external_ids:nvi-instance=${l.instance.id}`)
      ).trim(),
    ).toBe("");
    expect(await stack.deps.db.ipAllocation.count({ where: { holderId: l.instance.id } })).toBe(0);
    expect((await stack.call("GET", `/instances/${l.instance.id}`)).body).toMatchObject({
      status: "terminated",
      statusReason: expect.stringMatching(/^launch cancelled by token/),
    });
  });

  it("an agent restart: no duplicate instance, still reachable", async () => {
    const h1 = lab.hosts.find((h) => h.dc === 1)!;
    await stopAgent(lab.name, h1.id);
    await startAgent(lab.name, h1.id, agentCommand[h1.id]);
    const list = (await stack.call("GET", "/instances")).body as any[];
    expect(list.filter((i) => i.name === "web-1")).toHaveLength(1);
    const web = list.find((i) => i.name === "web-1");
    const db2 = list.find((i) => i.name === "db-2");
    expect(await pingFrom(web.id, db2.address)).toBe(true);
  });
});
