// @ts-check
// The serial console across console replicas (issue 17; ARCHITECTURE.md "Serial console"). The
// browser's WebSocket and the agent's may land on different processes behind a load balancer. The
// replica holding the browser's socket owns the session (relay.mjs); an agent whose socket lands on
// another replica is bridged to the owner over Redis pub/sub, one channel each way per session:
//   up:<session>   towards the owner: the agent's output, its attach request, its close, heartbeats
//   down:<session> towards the agent's replica: keystrokes, accepted / refused, close, pause / resume
// Each message is one leading byte (0 data, 1 control) and the bytes or the control's JSON. Redis
// keeps one publisher's messages in order, so "accepted" always precedes the first keystroke. The
// owner still makes every check (same session, host, VM and organization as the agent's ticket):
// the bus carries what the agent's replica read from the ticket, never what the agent says.

import { randomUUID } from "node:crypto";

const DATA = 0;
const CONTROL = 1;

export const upChannel = (/** @type {string} */ sessionId) => `nvi:serial:up:${sessionId}`;
export const downChannel = (/** @type {string} */ sessionId) => `nvi:serial:down:${sessionId}`;

/**
 * @typedef {{ t: string, [k: string]: unknown }} Control
 * @typedef {{ data(bytes: Buffer): void, control(c: Control): void }} BusHandler
 * @typedef {{ publish(channel: string, message: Buffer): Promise<number> }} BusPublisher
 * @typedef {{ subscribe(...channels: string[]): Promise<unknown>, unsubscribe(...channels: string[]): Promise<unknown>,
 *   on(event: "messageBuffer", fn: (channel: Buffer, message: Buffer) => void): unknown }} BusSubscriber
 * @typedef {ReturnType<typeof createRelayBus>} RelayBus
 */

/**
 * One subscriber connection per process (Redis wants a connection of its own for subscriptions),
 * shared by every session: a channel is subscribed while a session listens on it.
 * @param {{ publisher: BusPublisher, subscriber: BusSubscriber,
 *   log: (level: "info" | "warn", msg: string, fields: Record<string, unknown>) => void }} o
 */
export function createRelayBus(o) {
  /** @type {Map<string, Set<BusHandler>>} several agents may ask for one session from one process */
  const handlers = new Map();
  o.subscriber.on("messageBuffer", (channel, message) => {
    const hs = handlers.get(channel.toString());
    if (!hs || message.length === 0) return;
    if (message[0] === DATA) return hs.forEach((h) => h.data(message.subarray(1)));
    try {
      const c = JSON.parse(message.subarray(1).toString());
      if (c && typeof c.t === "string") hs.forEach((h) => h.control(c));
    } catch {
      // not ours: only the relays publish on these channels
    }
  });
  /** @param {string} channel @param {Buffer} message */
  const publish = (channel, message) =>
    o.publisher.publish(channel, message).catch((/** @type {Error} */ e) => {
      o.log("warn", "serial relay: a bus message was not published", { channel, error: e.message });
      return 0;
    });
  return {
    /** @param {string} channel @param {BusHandler} h @returns {Promise<() => void>} stops listening */
    async listen(channel, h) {
      const hs = handlers.get(channel) ?? new Set();
      handlers.set(channel, hs.add(h));
      await o.subscriber.subscribe(channel);
      return () => {
        if (!hs.delete(h) || hs.size > 0 || handlers.get(channel) !== hs) return;
        handlers.delete(channel);
        o.subscriber.unsubscribe(channel).catch(() => undefined);
      };
    },
    /** @param {string} channel @param {Buffer} bytes @returns {Promise<number>} how many replicas heard it */
    data: (channel, bytes) => publish(channel, Buffer.concat([Buffer.of(DATA), bytes])),
    /** @param {string} channel @param {Control} c @returns {Promise<number>} how many replicas heard it */
    control: (channel, c) => publish(channel, Buffer.concat([Buffer.of(CONTROL), Buffer.from(JSON.stringify(c))])),
  };
}

/** @param {import("ws").RawData} data */
export const toBuffer = (data) =>
  Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);

/**
 * The agent's replica: its socket came with a valid agent ticket for a session this process does not
 * hold. Asks whoever listens on the session's up channel to take it; false when nobody does (no
 * replica holds that session). Until the owner accepts, nothing of the agent's is read.
 * @param {RelayBus} bus
 * @param {import("ws").WebSocket} ws
 * @param {{ sessionId: string, instanceId: string, hostId: string, orgId: string }} t
 * @param {{ aliveMs: number, acceptMs: number, now: () => number,
 *   refuse: (ws: import("ws").WebSocket, code: number, message: string) => void, gone: number, lost: number }} o
 * @returns {Promise<boolean>}
 */
export async function bridgeAgent(bus, ws, t, o) {
  const up = upChannel(t.sessionId);
  const down = downChannel(t.sessionId);
  // the owner's answer names the attach it is for: other agents may ask for this session meanwhile
  const attachId = randomUUID();
  /** @type {() => void} */
  let unlisten = () => undefined;
  /** @type {"asking" | "bridged" | "done"} */
  let state = "asking";
  let heard = o.now();
  /** @type {NodeJS.Timeout[]} */
  const timers = [];
  /** @param {number} code @param {string} reason @param {boolean} [refused] */
  const finish = (code, reason, refused = false) => {
    if (state === "done") return;
    state = "done";
    timers.forEach(clearInterval);
    unlisten();
    ws.resume(); // a paused socket would never read the peer's close frame
    if (refused) o.refuse(ws, code, reason);
    else if (ws.readyState === ws.OPEN) ws.close(code, reason.slice(0, 120));
  };
  ws.pause();
  unlisten = await bus.listen(down, {
    data(bytes) {
      heard = o.now();
      if (state === "bridged" && ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
    },
    control(c) {
      heard = o.now();
      const mine = c.to === attachId;
      if (c.t === "accepted" && mine && state === "asking") {
        state = "bridged";
        ws.resume();
      } else if (c.t === "refused" && mine) finish(Number(c.code) || o.gone, String(c.message ?? "refused"), true);
      else if (c.t === "close" && state === "bridged") finish(1000, "session ended");
      else if (c.t === "pause" && state === "bridged") ws.pause();
      else if (c.t === "resume" && state === "bridged") ws.resume();
    },
  });
  const owners = await bus.control(up, {
    t: "attach",
    id: attachId,
    hostId: t.hostId,
    instanceId: t.instanceId,
    orgId: t.orgId,
  });
  if (owners === 0) {
    state = "done";
    unlisten();
    ws.resume();
    return false;
  }
  ws.on("message", (data, isBinary) => {
    if (isBinary && state === "bridged") void bus.data(up, toBuffer(data));
  });
  ws.on("close", (code, reason) => {
    if (state !== "done") void bus.control(up, { t: "closed", id: attachId, code, reason: reason.toString() });
    finish(1000, "closed");
  });
  timers.push(
    setTimeout(() => {
      if (state === "asking") finish(o.gone, "no such serial console session for this host", true);
    }, o.acceptMs),
    setInterval(() => {
      if (o.now() - heard > 3 * o.aliveMs) finish(o.lost, "the console replica holding this session went away");
      else void bus.control(up, { t: "alive", id: attachId });
    }, o.aliveMs),
  );
  return true;
}
