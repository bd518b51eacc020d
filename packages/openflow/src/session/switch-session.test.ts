import { afterEach, describe, expect, it } from "vitest";
import { BadRequestCode, ControllerRole, ErrorType, HelloFailedCode, PortReason } from "../constants.ts";
import { flowMod } from "../codec/builders.ts";
import { OpenFlowRequestError } from "../errors.ts";
import { FakeSwitch, port } from "../test-support/fake-switch.ts";
import { OpenFlowServer } from "./server.ts";
import type { SwitchSession } from "./switch-session.ts";
import type { SessionOptions } from "./types.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: SessionOptions = {}) {
  const sessions: SwitchSession[] = [];
  const waiting: ((s: SwitchSession) => void)[] = [];
  const server = new OpenFlowServer({
    port: 0,
    ...options,
    onSession: (s) => (sessions.push(s), waiting.splice(0).forEach((w) => w(s))),
  });
  const { port: p } = await server.listen();
  cleanups.push(() => server.close());
  const connect = async (): Promise<{ sw: FakeSwitch; session: SwitchSession }> => {
    const seen = sessions.length;
    const sw = new FakeSwitch(p);
    cleanups.push(() => sw.end());
    const session = sessions[seen] ?? (await new Promise<SwitchSession>((r) => waiting.push(r)));
    return { sw, session };
  };
  return { server, connect };
}
const ready = (s: SwitchSession) => new Promise<void>((r) => (s.state === "ready" ? r() : s.on("ready", r)));
const closed = (s: SwitchSession) =>
  new Promise<string>((r) => (s.state === "closed" ? r(s.closeReason ?? "") : s.on("close", r)));

/** A switch that said hello with 1.3, and its session once ready. */
async function readySwitch() {
  const { connect } = await setup();
  const { sw, session } = await connect();
  sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
  await ready(session);
  return { sw, session };
}

describe("SwitchSession", () => {
  it("negotiates 1.3, learns features and ports, and becomes ready", async () => {
    const { connect } = await setup();
    const { sw, session } = await connect();
    sw.ports = [port(1, "veth-a"), port(2, "veth-b")];
    const hello = await sw.next("hello");
    expect(hello.versions).toEqual([4]);
    sw.send({ type: "hello", xid: 1, version: 4, versions: [1, 4] });
    await ready(session);
    expect(session.datapathId).toBe(0xabcn);
    expect([...session.ports.keys()]).toEqual([1, 2]);
    expect((await sw.next("setConfig")).missSendLen).toBe(0xffff);
  });

  it("answers a version mismatch with HELLO_FAILED and closes", async () => {
    const { connect } = await setup();
    const { sw, session } = await connect();
    sw.send({ type: "hello", xid: 9, version: 1, versions: [1] });
    const err = await sw.next("error");
    expect([err.errorType, err.code]).toEqual([ErrorType.HELLO_FAILED, HelloFailedCode.INCOMPATIBLE]);
    expect(await closed(session)).toMatch(/version negotiation failed/);
    await sw.closed;
  });

  it("accepts a bitmap-less HELLO of a newer version", async () => {
    const { connect } = await setup();
    const { sw, session } = await connect();
    sw.send({ type: "hello", xid: 1, version: 6, versions: null });
    await ready(session);
  });

  it("answers echo, rejects unknown types with BAD_TYPE and keeps the session", async () => {
    const { sw, session } = await readySwitch();
    sw.send({ type: "echoRequest", xid: 77, data: Uint8Array.from([1, 2, 3]) });
    const echo = await sw.next("echoReply");
    expect([echo.xid, [...echo.data]]).toEqual([77, [1, 2, 3]]);
    sw.send({ type: "unsupported", xid: 78, msgType: 99, body: new Uint8Array(4) });
    const err = await sw.next("error");
    expect([err.xid, err.errorType, err.code]).toEqual([78, ErrorType.BAD_REQUEST, BadRequestCode.BAD_TYPE]);
    expect(session.state).toBe("ready");
  });

  it("correlates replies by xid, gathers multipart parts, and rejects on OFPT_ERROR", async () => {
    const { sw, session } = await readySwitch();
    sw.autoReply = false;
    const a = session.request({ type: "barrierRequest", xid: 0 });
    const b = session.multipart({ kind: "portDesc" });
    const c = session.request({ type: "roleRequest", xid: 0, role: ControllerRole.MASTER, generationId: 5n });
    const cFailed = c.catch((e: unknown) => e);
    const ra = await sw.next("barrierRequest");
    const rb = await sw.next("multipartRequest");
    const rc = await sw.next("roleRequest");
    sw.send({ type: "multipartReply", xid: rb.xid, flags: 1, body: { kind: "portDesc", ports: [port(1, "p1")] } });
    sw.send({ type: "error", xid: rc.xid, errorType: ErrorType.ROLE_REQUEST_FAILED, code: 1, data: new Uint8Array() });
    sw.send({ type: "multipartReply", xid: rb.xid, flags: 0, body: { kind: "portDesc", ports: [port(2, "p2")] } });
    sw.send({ type: "barrierReply", xid: ra.xid });
    await expect(a).resolves.toMatchObject({ type: "barrierReply" });
    expect((await b).flatMap((p) => (p.kind === "portDesc" ? p.ports.map((x) => x.name) : []))).toEqual(["p1", "p2"]);
    expect(await cFailed).toBeInstanceOf(OpenFlowRequestError);
  });

  it("reports flow-mod errors that arrive before the barrier", async () => {
    const { sw, session } = await readySwitch();
    sw.autoReply = false;
    const done = session.sendWithBarrier([flowMod({ priority: 1 }), flowMod({ priority: 2 })]);
    const fm1 = await sw.next("flowMod");
    await sw.next("flowMod");
    const bar = await sw.next("barrierRequest");
    sw.send({ type: "error", xid: fm1.xid, errorType: ErrorType.FLOW_MOD_FAILED, code: 1, data: new Uint8Array() });
    sw.send({ type: "barrierReply", xid: bar.xid });
    expect((await done).map((e) => e.xid)).toEqual([fm1.xid]);
  });

  it("tracks port status", async () => {
    const { connect } = await setup();
    const { sw, session } = await connect();
    sw.ports = [port(1, "a")];
    sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
    await ready(session);
    const changed = new Promise((r) => session.on("portsChanged", r));
    sw.send({ type: "portStatus", xid: 0, reason: PortReason.ADD, port: port(7, "new") });
    sw.send({ type: "portStatus", xid: 0, reason: PortReason.DELETE, port: port(1, "a") });
    await changed;
    await new Promise((r) => setTimeout(r, 20));
    expect([...session.ports.keys()]).toEqual([7]);
  });

  it("closes only the offending session on malformed or out-of-order input", async () => {
    const { connect } = await setup();
    const bad = await connect();
    bad.sw.raw("0400000400000001");
    expect(await closed(bad.session)).toMatch(/malformed.*BAD_LENGTH/);
    const early = await connect();
    early.sw.send({ type: "barrierReply", xid: 3 });
    expect(await closed(early.session)).toMatch(/expected HELLO first/);
    const good = await connect();
    good.sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
    await ready(good.session);
    const garbage = await connect();
    garbage.sw.raw("04ff00100000000100");
    garbage.sw.raw("ffffffffffffff");
    expect(await closed(garbage.session)).toMatch(/malformed|HELLO/);
    expect(good.session.state).toBe("ready");
  });

  it("closes a session that sends a message over its length cap", async () => {
    const { connect } = await setup({ maxMessageLength: 128 });
    const { sw, session } = await connect();
    sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
    await ready(session);
    sw.send({ type: "echoRequest", xid: 5, data: new Uint8Array(512) });
    expect(await closed(session)).toMatch(/TOO_LONG/);
  });

  it("declares a silent peer dead", async () => {
    const { connect } = await setup({ echoIntervalMs: 40, deadPeerMs: 150 });
    const { sw, session } = await connect();
    sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
    await ready(session);
    sw.autoReply = false;
    await sw.next("echoRequest");
    expect(await closed(session)).toMatch(/dead peer/);
  });

  it("closes a switch that stops reading instead of buffering without bound", async () => {
    const { connect } = await setup({ maxPendingWriteBytes: 2 * 1024 * 1024 });
    const { sw, session } = await connect();
    sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
    await ready(session);
    sw.socket.pause();
    const fm = flowMod({
      match: { inPort: 1 },
      instructions: [{ type: "applyActions", actions: [{ type: "output", port: 2 }] }],
    });
    for (let round = 0; round < 400 && session.state !== "closed"; round++) {
      for (let i = 0; i < 2000; i++) session.send(fm);
      await new Promise((r) => setImmediate(r));
      if (round === 0) expect(session.writable || session.state === "ready").toBe(true);
    }
    expect(session.closeReason).toMatch(/backpressure/);
  });
});
