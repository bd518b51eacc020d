import type { HostCommandBody } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLE_SCOPES } from "../access.ts";
import { getCloudRegistry, setCloudRegistry } from "../clouds/registries.ts";
import type { Ctx } from "../context.ts";
import { recordingPlane, scriptedAgent, work } from "../test-support/agent.ts";
import { cloudWithHost, codeOf, hostFacts, person, testQueue, type EnrolledHost } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { completeCommand, issueCommand, pullCommands } from "./commands.ts";
import { specOf } from "./executor.ts";
import { INSTANCE_LOGS_ACTION, LOGS_PER_MINUTE, readInstanceLogs } from "./container-logs.ts";
import { getInstance, launchInstance, listInstances, terminateInstance } from "./instances.ts";

/**
 * Issue 17, item 6 on real Postgres and the real command channel (a scripted agent answers): a
 * container's command and environment at launch, the cloud's registry and its sealed password, and
 * a container's logs read through its host's agent, each guarded per organization.
 */
let ctx: Ctx;
let other: Ctx;
let queue: ReturnType<typeof testQueue>;
let dc: EnrolledHost;
let subnetId: string;

beforeAll(async () => {
  ctx = await person("containers");
  other = await person("containers-other");
  queue = testQueue("containers");
  dc = await cloudWithHost(ctx, { hostname: "h-docker" });
  const facts = hostFacts("h-docker", { runtimes: { docker: true, qemu: false, netns: true } });
  await ctx.db.host.update({ where: { id: dc.hostId }, data: { facts, lastSeenAt: new Date() } });
  const vpc = await createVpc(ctx, { name: "apps", cidr: "10.96.0.0/16", allowOverlap: true });
  subnetId = (await createSubnet(ctx, { vpcId: vpc.id, cloudId: dc.cloudId, name: "s", cidr: "10.96.1.0/24" })).id;
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

const SECRET = "s3cr3t-value-that-must-not-leak";
const PASSWORD = "registry-pass-that-must-not-leak";

const launchBox = (name: string, over: Record<string, unknown> = {}) =>
  launchInstance(ctx, queue, {
    name,
    subnetId,
    hostId: dc.hostId,
    runtime: "docker",
    image: "local/busybox:latest",
    memoryMiB: 64,
    ...over,
  });

describe("a container's command and environment", () => {
  it("are launched as argv and env, shown by name only, sealed at rest, and never in the stored command", async () => {
    const l = await launchBox("env-1", {
      command: ["sh", "-c", "echo $GREETING; sleep 1000"],
      env: { GREETING: "hello world", API_TOKEN: SECRET },
    });
    expect(l.instance).toMatchObject({
      command: ["sh", "-c", "echo $GREETING; sleep 1000"],
      envNames: ["API_TOKEN", "GREETING"],
    });
    for (const shown of [l.instance, await getInstance(ctx, { instanceId: l.instance.id }), await listInstances(ctx)])
      expect(JSON.stringify(shown)).not.toContain(SECRET);
    const sealed = await ctx.db.instanceEnv.findUniqueOrThrow({ where: { instanceId: l.instance.id } });
    expect(sealed.sealed).not.toContain(SECRET);
    expect(Buffer.from(sealed.sealed, "base64").toString("latin1")).not.toContain(SECRET);

    // while the agent holds the start (handed out, not yet answered), the stored command has no value either
    let storedWhileRunning = "";
    const agent = scriptedAgent(ctx, dc.host, async (b, n) => {
      if (b.kind === "instance.start")
        storedWhileRunning = JSON.stringify(
          (await ctx.db.hostCommand.findFirstOrThrow({ where: { operationId: l.operationId, kind: b.kind } })).payload,
        );
      return { ok: true, ...(b.kind === "instance.start" ? { ofport: 10 + n } : {}) };
    });
    const op = await work(ctx, l.operationId, agent, recordingPlane().plane);
    expect(op.status, op.error ?? "").toBe("succeeded");
    expect(storedWhileRunning).toContain("API_TOKEN");
    expect(storedWhileRunning).not.toContain(SECRET);
    const start = agent.executed.find((b) => b.kind === "instance.start") as Extract<
      HostCommandBody,
      { kind: "instance.start" }
    >;
    expect(start.spec).toMatchObject({
      args: ["sh", "-c", "echo $GREETING; sleep 1000"],
      env: { GREETING: "hello world", API_TOKEN: SECRET },
      command: null,
    });
    expect(start.spec.registry).toBeUndefined();
    // answered: the stored command keeps the names, not the values
    const stored = await ctx.db.hostCommand.findFirstOrThrow({
      where: { operationId: l.operationId, kind: "instance.start" },
    });
    expect(JSON.stringify(stored.payload)).not.toContain(SECRET);
    expect(stored.payload).toMatchObject({ spec: { env: { API_TOKEN: "", GREETING: "" } } });
    const audit = await ctx.db.auditEvent.findMany({ where: { orgId: ctx.actor.orgId, targetId: l.instance.id } });
    expect(JSON.stringify(audit)).not.toContain(SECRET);

    // terminated, the sealed environment goes too
    const t = await terminateInstance(ctx, queue, { instanceId: l.instance.id });
    expect((await work(ctx, t.operationId, scriptedAgent(ctx, dc.host), recordingPlane().plane)).status).toBe(
      "succeeded",
    );
    expect(await ctx.db.instanceEnv.count({ where: { instanceId: l.instance.id } })).toBe(0);
  });

  it("refuses bad names, NUL, line breaks, oversize and shell strings, naming the field; nothing is launched", async () => {
    const before = await ctx.db.instance.count({ where: { orgId: ctx.actor.orgId } });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ env: { "1BAD": "x" } }, /env/],
      [{ env: { "A-B": "x" } }, /env/],
      [{ env: { A: "x\0y" } }, /env/],
      [{ env: { A: "line\nB=injected" } }, /env/],
      [{ env: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, "x"])) }, /env/],
      [{ env: { A: "x".repeat(4097) } }, /env/],
      [{ command: "sleep 1000" }, /command/],
      [{ command: [] }, /command/],
      [{ command: ["", "x"] }, /command/],
      [{ command: ["echo", "a\0b"] }, /command/],
      [{ command: Array.from({ length: 65 }, () => "x") }, /command/],
    ];
    for (const [over, field] of bad) {
      const e = await launchBox(`bad-${Math.random().toString(36).slice(2, 7)}`, over).then(
        () => null,
        (x: unknown) => x as { issues?: { path: unknown[] }[] },
      );
      expect(e, JSON.stringify(over).slice(0, 80)).not.toBeNull();
      expect(JSON.stringify(e?.issues?.[0]?.path ?? [])).toMatch(field);
    }
    expect(
      await codeOf(launchInstance(ctx, queue, { name: "ns-env", subnetId, runtime: "netns", env: { A: "1" } })),
    ).toBe("VALIDATION_FAILED@env");
    expect(
      await codeOf(launchInstance(ctx, queue, { name: "ns-cmd", subnetId, runtime: "netns", command: ["sleep", "1"] })),
    ).toBe("VALIDATION_FAILED@command");
    expect(await ctx.db.instance.count({ where: { orgId: ctx.actor.orgId } })).toBe(before);
  });

  it("an environment that cannot be opened (the key changed) fails that start alone, with the reason", async () => {
    const box = await launchBox("env-rekeyed", { env: { API_TOKEN: SECRET } });
    const ns = await launchInstance(ctx, queue, {
      name: "ns-beside-box",
      subnetId,
      hostId: dc.hostId,
      runtime: "netns",
    });
    const rows = await ctx.db.instance.findMany({
      where: { id: { in: [box.instance.id, ns.instance.id] } },
      include: { subnet: true, guestConfig: true },
    });
    const operationOf = new Map([box, ns].map((l) => [l.instance.id as string, l.operationId as string]));
    for (const row of rows)
      await issueCommand(ctx, {
        hostId: dc.hostId,
        operationId: operationOf.get(row.id)!,
        body: { kind: "instance.start", spec: specOf(row) },
      });
    const pulled = await pullCommands({ ...ctx, secretsKey: "another-secrets-key-entirely-0123456789" }, dc.host, []);
    const started = pulled.commands.flatMap((c) => (c.body.kind === "instance.start" ? [c.body.spec.instanceId] : []));
    expect(started).toEqual([ns.instance.id]);
    expect(JSON.stringify(pulled)).not.toContain(SECRET);
    for (const c of pulled.commands) await completeCommand(ctx, dc.host, c.id, { ok: true, ofport: 41 });
    const failed = await ctx.db.hostCommand.findFirstOrThrow({ where: { operationId: box.operationId } });
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/instance env cannot be opened with the configured secrets key/);
    expect(JSON.stringify(failed.payload)).not.toContain(SECRET);
  });
});

describe("a cloud's registry", () => {
  it("keeps the password sealed, shows it only as set, forgets it with a new server, and is another organization's 404", async () => {
    const set = await setCloudRegistry(ctx, {
      cloudId: dc.cloudId,
      server: "http://127.0.0.1:5000/",
      username: "puller",
      password: PASSWORD,
    });
    expect(set).toMatchObject({ server: "127.0.0.1:5000", username: "puller", password: "set" });
    expect(JSON.stringify(await getCloudRegistry(ctx, { cloudId: dc.cloudId }))).not.toContain(PASSWORD);
    const row = await ctx.db.cloudRegistry.findUniqueOrThrow({ where: { cloudId: dc.cloudId } });
    expect(row.sealedPassword).not.toContain(PASSWORD);
    const audit = await ctx.db.auditEvent.findMany({ where: { orgId: ctx.actor.orgId, targetId: dc.cloudId } });
    expect(JSON.stringify(audit)).not.toContain(PASSWORD);
    // the same account again without a password keeps it
    expect(
      (await setCloudRegistry(ctx, { cloudId: dc.cloudId, server: "127.0.0.1:5000", username: "puller" })).password,
    ).toBe("set");

    // a launch of an image from that registry carries the account to the host, once
    const l = await launchBox("pulled-1", { image: "127.0.0.1:5000/team/app:1" });
    const agent = scriptedAgent(ctx, dc.host);
    expect((await work(ctx, l.operationId, agent, recordingPlane().plane)).status).toBe("succeeded");
    const start = agent.executed.find((b) => b.kind === "instance.start") as Extract<
      HostCommandBody,
      { kind: "instance.start" }
    >;
    expect(start.spec.registry).toEqual({ server: "127.0.0.1:5000", username: "puller", password: PASSWORD });
    const stored = await ctx.db.hostCommand.findFirstOrThrow({
      where: { operationId: l.operationId, kind: "instance.start" },
    });
    expect(JSON.stringify(stored.payload)).not.toContain(PASSWORD);
    // an image from anywhere else gets no account
    const elsewhere = await launchBox("elsewhere-1", { image: "evil.example:5000/team/app:1" });
    const agent2 = scriptedAgent(ctx, dc.host);
    await work(ctx, elsewhere.operationId, agent2, recordingPlane().plane);
    expect(JSON.stringify(agent2.executed)).not.toContain(PASSWORD);

    // another organization neither reads, changes nor learns of it
    expect(await codeOf(getCloudRegistry(other, { cloudId: dc.cloudId }))).toBe("NOT_FOUND");
    expect(
      await codeOf(
        setCloudRegistry(other, { cloudId: dc.cloudId, server: "evil.example:5000", username: "x", password: "y" }),
      ),
    ).toBe("NOT_FOUND");
    expect((await getCloudRegistry(ctx, { cloudId: dc.cloudId })).server).toBe("127.0.0.1:5000");

    // a new server forgets the password: it is never sent where it was not given for
    const moved = await setCloudRegistry(ctx, {
      cloudId: dc.cloudId,
      server: "other.example:5000",
      username: "puller",
    });
    expect(moved).toMatchObject({ server: "other.example:5000", password: "not set" });
  });

  it("refuses a server that is not host[:port], and a password without a username", async () => {
    expect(await codeOf(setCloudRegistry(ctx, { cloudId: dc.cloudId, server: "a b", username: null }))).toMatch(
      /VALIDATION|ZodError|server/,
    );
    expect(await codeOf(setCloudRegistry(ctx, { cloudId: dc.cloudId, server: "r.example", password: "p" }))).toBe(
      "VALIDATION_FAILED@username",
    );
  });
});

describe("a container's logs", () => {
  it("come from the host's agent, control sequences removed, each read audited", async () => {
    const l = await launchBox("logs-1");
    expect((await work(ctx, l.operationId, scriptedAgent(ctx, dc.host), recordingPlane().plane)).status).toBe(
      "succeeded",
    );
    const agent = scriptedAgent(ctx, dc.host, (b) =>
      b.kind === "instance.logs"
        ? {
            ok: true,
            logs: { text: `2026-12-06T01:00:00Z \u001b[31mred\u001b[0m line\u001b]0;title\u0007 ok`, truncated: false },
          }
        : { ok: true },
    );
    const serving = setInterval(() => void agent.serve(), 30);
    try {
      const logs = await readInstanceLogs(ctx, { instanceId: l.instance.id, lines: 50 });
      expect(logs).toMatchObject({
        name: "logs-1",
        lines: 50,
        text: "2026-12-06T01:00:00Z red line ok",
        truncated: false,
      });
    } finally {
      clearInterval(serving);
    }
    expect(agent.executed.at(-1)).toEqual({
      kind: "instance.logs",
      instanceId: l.instance.id,
      runtime: "docker",
      lines: 50,
    });
    // the read-only command is gone once answered
    expect(await ctx.db.hostCommand.count({ where: { hostId: dc.hostId, kind: "instance.logs" } })).toBe(0);
    const audited = await ctx.db.auditEvent.findMany({
      where: { orgId: ctx.actor.orgId, action: INSTANCE_LOGS_ACTION, targetId: l.instance.id },
    });
    expect(audited.map((a) => (a.after as { outcome: string }).outcome)).toEqual(["granted"]);
  });

  it("are refused to a viewer and to another organization (not found), audited in the asker's organization; nothing reaches the host", async () => {
    const l = await launchBox("logs-2");
    const viewer: Ctx = { ...ctx, actor: { ...ctx.actor, role: "viewer", scopes: new Set(ROLE_SCOPES.viewer) } };
    expect(await codeOf(readInstanceLogs(viewer, { instanceId: l.instance.id }))).toBe("MISSING_SCOPE");
    expect(await codeOf(readInstanceLogs(other, { instanceId: l.instance.id }))).toBe("NOT_FOUND");
    const refusedThere = await ctx.db.auditEvent.count({
      where: { orgId: other.actor.orgId, action: INSTANCE_LOGS_ACTION },
    });
    expect(refusedThere).toBe(1);
    expect(
      await ctx.db.auditEvent.count({
        where: { orgId: ctx.actor.orgId, action: INSTANCE_LOGS_ACTION, targetId: l.instance.id },
      }),
    ).toBe(1);
    expect(await ctx.db.hostCommand.count({ where: { hostId: dc.hostId, kind: "instance.logs" } })).toBe(0);
  });

  it("are refused for a VM or a namespace, and limited to LOGS_PER_MINUTE reads a minute", async () => {
    const ns = await launchInstance(ctx, queue, { name: "ns-logs", subnetId, runtime: "netns" });
    expect(await codeOf(readInstanceLogs(ctx, { instanceId: ns.instance.id }))).toBe("INSTANCE_STATE");
    const asker = await person("containers-rate");
    const tries = await Promise.all(
      Array.from({ length: LOGS_PER_MINUTE + 5 }, () =>
        codeOf(readInstanceLogs(asker, { instanceId: "inst_" + "x".repeat(24) })),
      ),
    );
    // sequential enough: the count is read before each write, so a burst may pass a few over; the next is refused
    expect(await codeOf(readInstanceLogs(asker, { instanceId: "inst_" + "x".repeat(24) }))).toBe("RATE_LIMITED");
    expect(tries.filter((t) => t === "NOT_FOUND").length).toBeGreaterThanOrEqual(LOGS_PER_MINUTE);
  });
});
