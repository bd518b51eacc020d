import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SERIAL_LIMITS, SERIAL_PATHS, doorbellKey, newSecret, ticketKey } from "./keys.mjs";
import { createSerialRelay } from "./relay.mjs";

/**
 * The serial console across console replicas (relay-bus.mjs): two relays on two real HTTP servers,
 * each with its own Redis connections, as two console processes behind a load balancer would be.
 * The tickets are written as `SerialGate` writes them (its checks are serial-console.integration's);
 * here: which socket pairs with which, across processes, and what happens when one process goes.
 */
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** One console process: its relay, its HTTP server, its two Redis connections. */
async function replica(limits: Partial<typeof SERIAL_LIMITS> = {}) {
  const redis = new Redis(redisUrl);
  const subscriber = redis.duplicate();
  redis.on("error", () => undefined);
  subscriber.on("error", () => undefined);
  const relay = createSerialRelay({ redis, subscriber, publicUrl: "http://console.test", limits });
  const server = createServer((_, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => relay.handleUpgrade(req, socket, head) || socket.destroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  /** the process dies: its sockets and its Redis connections go at once, nothing is said */
  const crash = () => {
    redis.disconnect();
    subscriber.disconnect();
    server.closeAllConnections();
  };
  cleanup.push(async () => {
    relay.close();
    await new Promise((r) => server.close(r));
    redis.disconnect();
    subscriber.disconnect();
  });
  return { relay, redis, url, crash };
}

const admin = new Redis(redisUrl);
afterAll(() => admin.disconnect());

interface Session {
  sessionId: string;
  instanceId: string;
  hostId: string;
  orgId: string;
}
const session = (over: Partial<Session> = {}): Session => ({
  sessionId: newSecret("ser_"),
  instanceId: `inst_${randomUUID()}`,
  hostId: `host_${randomUUID()}`,
  orgId: `org_${randomUUID()}`,
  ...over,
});

/** A one-time ticket as SerialGate (user) or the attach route (agent) mints it. */
async function ticket(kind: "user" | "agent", s: Session): Promise<string> {
  const t = newSecret(kind === "user" ? "sct_" : "sat_");
  await admin.set(ticketKey(t), JSON.stringify({ kind, ...s, actor: kind }), "EX", 30);
  return t;
}

/** A WebSocket to a relay: its binary bytes, its status states and how it closed. */
function connect(at: string, kind: "user" | "agent", t: string) {
  const ws = new WebSocket(
    `${at}${SERIAL_PATHS[kind]}?ticket=${t}`,
    kind === "user" ? { origin: "http://console.test" } : {},
  );
  const got = { bytes: "", states: [] as string[] };
  ws.on("message", (data: Buffer, isBinary) => {
    if (isBinary) got.bytes += data.toString();
    else got.states.push((JSON.parse(data.toString()) as { state: string }).state);
  });
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on("close", (code, reason) => r({ code, reason: reason.toString() })),
  );
  return { ws, got, closed };
}
const until = async (what: string, fn: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !fn();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** The browser on `owner`, waiting for its host, and the doorbell rung for that host. */
async function browserWaiting(owner: { url: string }, s: Session) {
  const user = connect(owner.url, "user", await ticket("user", s));
  await until("the waiting state", () => user.got.states.includes("waiting"));
  expect(await admin.lrange(doorbellKey(s.hostId), 0, -1)).toContain(s.sessionId);
  await admin.del(doorbellKey(s.hostId));
  return user;
}

/** A fresh session: its browser on `owner`, its host's agent on `other`, connected. */
async function paired(owner: { url: string }, other: { url: string }) {
  const s = session();
  const user = await browserWaiting(owner, s);
  const host = connect(other.url, "agent", await ticket("agent", s));
  await until("connected", () => user.got.states.includes("connected"));
  return { user, host };
}

describe("serial console across console replicas", () => {
  it("the browser on one replica and the agent on another: bytes both ways; either end closing ends the other", async () => {
    const [a, b] = [await replica(), await replica()];
    const { user, host } = await paired(a, b);
    user.ws.send(Buffer.from("uname\r"), { binary: true });
    await until("the keystrokes at the host", () => host.got.bytes === "uname\r");
    host.ws.send(Buffer.from("Linux\r\n# "), { binary: true });
    await until("the guest's answer in the browser", () => user.got.bytes === "Linux\r\n# ");
    // the VM's side closing (on b) ends the browser's session (on a) with its code and reason
    host.ws.close(4410, "the VM stopped");
    expect(await user.closed).toEqual({ code: 4410, reason: "the VM stopped" });
    expect(a.relay.size).toBe(0);

    // and the browser closing (on a) ends the agent's socket (on b)
    const second = await paired(a, b);
    second.user.ws.close();
    expect((await second.host.closed).code).toBe(1000);
  });

  it("an agent's ticket for another host, VM or organization is refused by the owner across replicas; it hears nothing", async () => {
    const [a, b] = [await replica(), await replica()];
    const s = session();
    const user = await browserWaiting(a, s);
    for (const forged of [{ hostId: `host_${randomUUID()}` }, { instanceId: "inst_other" }, { orgId: "org_other" }]) {
      const intruder = connect(b.url, "agent", await ticket("agent", { ...s, ...forged }));
      user.ws.send(Buffer.from("secret\r"), { binary: true });
      expect((await intruder.closed).code).toBe(4403);
      expect(intruder.got.bytes).toBe("");
    }
    expect(user.got.states).not.toContain("connected");
    // the right agent still pairs after the refusals
    const host = connect(b.url, "agent", await ticket("agent", s));
    await until("connected", () => user.got.states.includes("connected"));
    // a second agent for the same session is refused: the session has its agent
    expect((await connect(a.url, "agent", await ticket("agent", s)).closed).code).toBe(4403);
    expect((await connect(b.url, "agent", await ticket("agent", s)).closed).code).toBe(4403);
    // ... and the refusals were not taken as the paired agent's: it still carries the keystrokes
    user.ws.send(Buffer.from("still here\r"), { binary: true });
    await until("the keystrokes at the paired host", () => host.got.bytes.endsWith("still here\r"));
    expect(host.got.bytes).not.toContain("secret");
    host.ws.close();
    await user.closed;
  });

  it("an agent for a session no replica holds is refused at once", async () => {
    const [, b] = [await replica(), await replica()];
    const started = Date.now();
    expect((await connect(b.url, "agent", await ticket("agent", session())).closed).code).toBe(4404);
    expect(Date.now() - started).toBeLessThan(SERIAL_LIMITS.bridgeAcceptMs);
  });

  it("a session opened on another replica takes the VM over; the old one is told", async () => {
    const [a, b] = [await replica(), await replica()];
    const s = session();
    const first = await browserWaiting(a, s);
    const second = await browserWaiting(b, { ...s, sessionId: newSecret("ser_") });
    expect((await first.closed).code).toBe(4409);
    expect(second.got.states).not.toContain("closed");
    second.ws.close();
  });

  it("a host's sessions are capped across replicas; a session ended, or lost with its replica, frees its place", async () => {
    const limits = { perHost: 1, busAliveMs: 100 };
    const [a, b] = [await replica(limits), await replica(limits)];
    const hostId = `host_${randomUUID()}`;
    const first = await browserWaiting(a, session({ hostId }));
    // (long past its first lease: its owner renews it)
    await new Promise((r) => setTimeout(r, 5 * limits.busAliveMs));
    // another VM of the same host, on the other replica: one too many
    const refused = connect(b.url, "user", await ticket("user", session({ hostId })));
    const verdict = await Promise.race([
      refused.closed.then((c) => c.code),
      new Promise((r) => setTimeout(() => r("still open after 3 s"), 3_000)),
    ]);
    expect(verdict).toBe(4429);
    refused.ws.terminate();
    // another host is not counted with it
    (await browserWaiting(b, session())).ws.close();
    first.ws.close();
    await first.closed;
    const second = await browserWaiting(b, session({ hostId }));
    // the replica holding it dies without a word (it renews nothing more): its session stops counting after three beats
    b.crash();
    await new Promise((r) => setTimeout(r, 3 * limits.busAliveMs + 100));
    (await browserWaiting(a, session({ hostId }))).ws.close();
    second.ws.terminate();
  });

  it("a replica that dies mid-session: the other side's socket is closed within three heartbeats", async () => {
    const limits = { busAliveMs: 100 };
    // the browser's replica dies: the agent (on b) is let go
    const [a, b] = [await replica(limits), await replica(limits)];
    const one = await paired(a, b);
    a.crash();
    expect(await one.host.closed).toEqual({
      code: 4410,
      reason: "the console replica holding this session went away",
    });

    // the agent's replica dies: the browser (on c) is told
    const [c, d] = [await replica(limits), await replica(limits)];
    const two = await paired(c, d);
    d.crash();
    await two.host.closed;
    expect(await two.user.closed).toEqual({
      code: 4410,
      reason: "the console replica carrying the VM's host went away",
    });
  });
});
