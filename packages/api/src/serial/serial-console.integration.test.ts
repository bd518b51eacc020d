import { createServer, type Server } from "node:http";
import { cloudWithHost, person, tenantWithHost, type EnrolledHost } from "@nvi/core/test-support";
import { SERIAL_CONSOLE_ACTION, createSubnet, createVpc, type CoreDeps, type Ctx } from "@nvi/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createApiContext } from "../context.ts";
import { handleRest } from "../http.ts";
import { createCaller } from "../root.ts";
import { json, testDeps, trpcCodeOf } from "../test-support/fixtures.ts";
import { newSecret, ticketKey } from "./keys.mjs";
import { createSerialRelay, type SerialRelay } from "./relay.mjs";
import { SerialGate } from "./sessions.ts";

/**
 * The serial console relay on real parts: Postgres (who may), Redis (tickets, the hosts' doorbells),
 * the relay on a real HTTP server, WebSocket clients for the browser and for the host's agent (which
 * calls the real agent routes with its real host credential). Each attack here was open before its
 * check: another organization's person, a viewer, a forged or replayed ticket, a ticket of the wrong
 * kind, another host's agent.
 */
let deps: CoreDeps;
let redis: Redis;
let gate: SerialGate;
let relay: SerialRelay;
let server: Server;
let base: string;
let a: { ctx: Ctx } & EnrolledHost;
let a2: EnrolledHost;
let b: { ctx: Ctx } & EnrolledHost;
let vmId: string;
let stoppedId: string;
let viewer: { userId: string; email: string };

const ctxOf = (headers: Headers, user?: { userId: string; email: string }) =>
  createApiContext({
    deps,
    headers,
    sourceIp: "127.0.0.1",
    publicUrl: "http://console.test",
    getSessionUser: () => Promise.resolve(user ?? null),
    serial: gate,
  });
const as = (ctx: Ctx) => createCaller(ctxOf(new Headers(), { userId: ctx.actor.userId, email: ctx.actor.email }));
const agent = (credential: string, path: string, body: unknown = {}) =>
  handleRest(
    new Request(`http://localhost/api/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
      body: JSON.stringify(body),
    }),
    (req) => ctxOf(req.headers),
  );

/** A WebSocket to the relay (`at`: another relay's address): its binary bytes, its status messages and how it closed. */
function open(path: string, ticket: string, origin = "http://console.test", at = base) {
  const ws = new WebSocket(`${at}${path}?ticket=${encodeURIComponent(ticket)}`, origin ? { origin } : {});
  const got = { bytes: "", states: [] as string[], messages: [] as string[], ws };
  ws.on("message", (data: Buffer, isBinary) => {
    if (isBinary) got.bytes += data.toString();
    else {
      const status = JSON.parse(data.toString()) as { state: string; message?: string };
      got.states.push(status.state);
      got.messages.push(status.message ?? "");
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on("close", (code, reason) => r({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((r) => ws.on("open", () => r()));
  return { got, closed, opened, ws };
}
const until = async (what: string, fn: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !fn();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  deps = testDeps();
  redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  gate = new SerialGate(redis, { waitMs: 300 }); // a long poll that finds nothing answers in 0.3 s here
  relay = createSerialRelay({ redis, publicUrl: "http://console.test" });
  server = createServer((_, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => relay.handleUpgrade(req, socket, head) || socket.destroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  a = await tenantWithHost("serial-a", { deps, hostname: "a-h1" });
  a2 = await cloudWithHost(a.ctx, { cloud: "dc2", hostname: "a-h2" });
  b = await tenantWithHost("serial-b", { deps, hostname: "b-h1" });
  const vpc = await createVpc(a.ctx, { name: "serial", cidr: "10.61.0.0/16", allowOverlap: true });
  const subnet = await createSubnet(a.ctx, { vpcId: vpc.id, cloudId: a.cloudId, name: "sn", cidr: "10.61.1.0/24" });
  // the VMs as the agent reported them (running / stopped) on a's first host
  const vm = (name: string, status: "running" | "stopped", address: string) =>
    deps.db.instance.create({
      data: {
        id: deps.newId("instance"),
        orgId: a.ctx.actor.orgId,
        vpcId: vpc.id,
        subnetId: subnet.id,
        hostId: a.hostId,
        name,
        runtime: "qemu",
        image: "nvi-busybox",
        address,
        mac: "02:00:00:00:61:0" + address.slice(-1),
        status,
        createdBy: a.ctx.actor.userId,
      },
    });
  vmId = (await vm("vm-serial", "running", "10.61.1.5")).id;
  stoppedId = (await vm("vm-stopped", "stopped", "10.61.1.6")).id;
  const v = await person("serial-viewer", deps);
  await deps.db.membership.create({
    data: { id: deps.newId("membership"), orgId: a.ctx.actor.orgId, userId: v.actor.userId, role: "viewer" },
  });
  viewer = { userId: v.actor.userId, email: v.actor.email };
});

afterAll(async () => {
  relay?.close();
  await new Promise((r) => server?.close(r));
  redis?.disconnect();
  await deps?.db.$disconnect();
});

/** The audit rows of the serial console for `vmId` in `orgId`, oldest first. */
const audits = (orgId: string, instanceId = vmId) =>
  deps.db.auditEvent.findMany({
    where: { orgId, action: SERIAL_CONSOLE_ACTION, targetId: instanceId },
    orderBy: { at: "asc" },
    select: { after: true, actorId: true },
  });

beforeEach(async () => {
  // what an earlier test's sessions rang and nobody answered
  await redis.del(`nvi:serial:host:${a.hostId}`);
});

/** The agent's side as the real agent does it: long poll, attach, dial the relay. */
async function agentAttaches(host: EnrolledHost) {
  const waited = await agent(host.credential, "/agent/serial/wait");
  expect(waited.status).toBe(200);
  const { sessions } = (await json(waited)) as { sessions: { sessionId: string; instanceId: string }[] };
  expect(sessions).toHaveLength(1);
  const attached = await agent(host.credential, `/agent/serial/${sessions[0]!.sessionId}/attach`);
  expect(attached.status, JSON.stringify(await attached.clone().json())).toBe(200);
  const t = (await json(attached)) as { path: string; ticket: string; instanceId: string };
  expect(t.instanceId).toBe(vmId);
  return { ...t, sessionId: sessions[0]!.sessionId };
}

describe("serial console: the way in", () => {
  it("a member's ticket opens the VM's console; the host's agent carries the bytes both ways; audited", async () => {
    const t = await as(a.ctx).serialConsole.open({ instanceId: vmId });
    const user = open(t.path, t.ticket);
    await until("the waiting state", () => user.got.states.includes("waiting"));
    const at = await agentAttaches(a);
    const host = open(at.path, at.ticket, "");
    const typed: string[] = [];
    host.ws.on("message", (d: Buffer) => typed.push(d.toString()));
    await until("connected", () => user.got.states.includes("connected"));
    user.ws.send(Buffer.from("echo hi\r"), { binary: true });
    await until("the keystrokes at the host", () => typed.join("") === "echo hi\r");
    host.ws.send(Buffer.from("hi\r\n# "), { binary: true });
    await until("the guest's answer in the browser", () => user.got.bytes === "hi\r\n# ");
    // a replay of the spent ticket while the session runs is refused, and leaves it running
    expect((await open(t.path, t.ticket).closed).code).toBe(4401);
    // the VM's side closing ends the browser's session with a reason
    host.ws.close(4410, "the VM stopped");
    expect(await user.closed).toEqual({ code: 4410, reason: "the VM stopped" });
    expect((await audits(a.ctx.actor.orgId)).map((e) => e.after)).toContainEqual({ outcome: "granted" });
  });

  it("refuses another organization's person (not found, audited in the asker's organization), a viewer, and a stopped VM", async () => {
    expect(await trpcCodeOf(as(b.ctx).serialConsole.open({ instanceId: vmId }))).toBe("NOT_FOUND");
    expect((await audits(b.ctx.actor.orgId)).map((e) => e.after)).toEqual([
      { outcome: "refused", reason: "not found" },
    ]);
    const asViewer = createCaller(ctxOf(new Headers({ cookie: `nvi_org=${a.ctx.actor.orgId}` }), viewer));
    expect(await trpcCodeOf(asViewer.serialConsole.open({ instanceId: vmId }))).toBe("FORBIDDEN");
    expect(await trpcCodeOf(as(a.ctx).serialConsole.open({ instanceId: stoppedId }))).toBe("CONFLICT");
    const refused = (await audits(a.ctx.actor.orgId)).filter((e) => e.actorId === viewer.userId);
    expect(refused.map((e) => e.after)).toEqual([{ outcome: "refused", reason: "missing the instances:write scope" }]);
  });

  it("a made-up ticket, a replayed one, a ticket of the other kind and another site's page are refused", async () => {
    const forged = open("/api/v1/serial/connect", newSecret("sct_"));
    expect((await forged.closed).code).toBe(4401);
    const t = await as(a.ctx).serialConsole.open({ instanceId: vmId });
    const first = open(t.path, t.ticket);
    await until("the first use", () => first.got.states.includes("waiting"));
    const replay = open(t.path, t.ticket);
    expect((await replay.closed).code).toBe(4401);
    // a person's ticket is no agent's: on the agent's path it is refused (and spent)
    const t2 = await as(a.ctx).serialConsole.open({ instanceId: vmId });
    expect((await open("/api/v1/agent/serial/connect", t2.ticket, "").closed).code).toBe(4401);
    const t3 = await as(a.ctx).serialConsole.open({ instanceId: vmId });
    expect((await open(t3.path, t3.ticket, "https://evil.test").closed).code).toBe(4403);
    first.ws.close();
  });
});

describe("serial console: the host's side", () => {
  it("another host's agent (same organization or not) never learns of, nor attaches to, a session", async () => {
    const t = await as(a.ctx).serialConsole.open({ instanceId: vmId });
    const user = open(t.path, t.ticket);
    await until("the waiting state", () => user.got.states.includes("waiting"));
    // the session is rung on a's first host only
    const sessionId = (await redis.lrange(`nvi:serial:host:${a.hostId}`, 0, -1))[0]!;
    for (const other of [a2, b]) {
      const waited = await agent(other.credential, "/agent/serial/wait");
      expect(await json(waited)).toEqual({ sessions: [] });
      const attach = await agent(other.credential, `/agent/serial/${sessionId}/attach`);
      expect(attach.status).toBe(404);
    }
    // the right host attaches once; a second attach (a replay) finds nothing
    const at = await agentAttaches(a);
    expect((await agent(a.credential, `/agent/serial/${at.sessionId}/attach`)).status).toBe(404);
    const host = open(at.path, at.ticket, "");
    await until("connected", () => user.got.states.includes("connected"));
    // the agent's ticket is spent too
    expect((await open(at.path, at.ticket, "").closed).code).toBe(4401);
    host.ws.close();
    await user.closed;
  });

  it("the relay refuses an agent's ticket for a session of another host (the check behind the attach route)", async () => {
    const t = await as(a.ctx).serialConsole.open({ instanceId: vmId });
    const user = open(t.path, t.ticket);
    await until("the waiting state", () => user.got.states.includes("waiting"));
    const sessionId = (await redis.lpop(`nvi:serial:host:${a.hostId}`))!;
    // a ticket as attach would mint it for a2, naming a's session: it must not pair
    const forged = newSecret("sat_");
    const record = { kind: "agent", sessionId, instanceId: vmId, hostId: a2.hostId, orgId: a.ctx.actor.orgId };
    await redis.set(ticketKey(forged), JSON.stringify({ ...record, actor: "host a-h2" }), "EX", 30);
    const intruder = open("/api/v1/agent/serial/connect", forged, "");
    const typed: string[] = [];
    intruder.ws.on("message", (d: Buffer) => typed.push(d.toString()));
    expect((await intruder.closed).code).toBe(4403);
    user.ws.send(Buffer.from("secret\r"), { binary: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(typed.join("")).not.toContain("secret");
    expect(user.got.states).not.toContain("connected");
    user.ws.close();
  });
});

describe("serial console: bounds", () => {
  it("a host's long polls are capped across console replicas: one more at once is refused on either", async () => {
    const replicas = [new SerialGate(redis, { waitMs: 1_500 }), new SerialGate(redis, { waitMs: 1_500 })];
    const held = [replicas[0]!.waitFor(a.host), replicas[1]!.waitFor(a.host)];
    await new Promise((r) => setTimeout(r, 100));
    for (const r of replicas)
      await expect(r.waitFor(a.host)).rejects.toMatchObject({
        code: "RATE_LIMITED",
        details: { retryAfterSeconds: 5 },
      });
    // another host is not slowed by it
    expect(await replicas[1]!.waitFor(b.host, 100)).toEqual({ sessions: [] });
    expect(await Promise.all(held)).toEqual([{ sessions: [] }, { sessions: [] }]);
    // once they answered, the host polls again
    expect(await replicas[0]!.waitFor(a.host, 100)).toEqual({ sessions: [] });
  });

  it("input beyond the session's rate is dropped and said; sessions per host are capped; an oversized frame ends the socket", async () => {
    const small = createSerialRelay({
      redis,
      limits: { inputBurstBytes: 32, inputBytesPerSecond: 1, perHost: 1, maxFrameBytes: 1024 },
    });
    const srv = createServer((_, res) => res.writeHead(404).end());
    srv.on("upgrade", (req, socket, head) => small.handleUpgrade(req, socket, head) || socket.destroy());
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const at = `ws://127.0.0.1:${(srv.address() as { port: number }).port}`;
    try {
      const t = await as(a.ctx).serialConsole.open({ instanceId: vmId });
      const user = open(t.path, t.ticket, "", at);
      await until("the waiting state", () => user.got.states.includes("waiting"));
      const at2 = await agentAttaches(a);
      const host = open(at2.path, at2.ticket, "", at);
      const typed: string[] = [];
      host.ws.on("message", (d: Buffer) => typed.push(d.toString()));
      await until("connected", () => user.got.states.includes("connected"));
      user.ws.send(Buffer.from("a".repeat(20)), { binary: true });
      user.ws.send(Buffer.from("b".repeat(20)), { binary: true }); // past the burst of 32
      await until("the refusal notice", () => user.got.states.includes("notice"));
      expect(user.got.messages).toContain("input faster than the console takes it was dropped");
      expect(typed.join("")).toBe("a".repeat(20));
      // a second VM session on the same host is one too many here
      const t2 = await as(a.ctx).serialConsole.open({ instanceId: vmId });
      // (the same VM would take the first one over: the cap counts the host's sessions before that)
      const second = open(t2.path, t2.ticket, "", at);
      expect((await second.closed).code).toBe(4429);
      // a frame over the cap ends the browser's socket (1009), and the session with it
      user.ws.send(Buffer.alloc(4096), { binary: true });
      expect((await user.closed).code).toBe(1009);
    } finally {
      small.close();
      await new Promise((r) => srv.close(r));
    }
  });
});
