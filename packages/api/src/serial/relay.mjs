// @ts-check
// The serial console relay (issue 17, item 5; ARCHITECTURE.md "Serial console"): plain JavaScript,
// because the console's Node entry (apps/web/server.mjs) runs it without TypeScript. Two kinds of
// WebSocket meet here, both admitted only with a one-time ticket from Redis (sessions.ts mints them):
//   browser → SERIAL_PATHS.user?ticket=sct_…  (minted for a person allowed on that VM)
//   agent   → SERIAL_PATHS.agent?ticket=sat_… (minted for the host credential of the VM's host)
// A session pairs one of each, for the same session, VM and host; bytes are copied between them,
// bounded in frame size, input rate, buffered output, count and time. With a Redis subscriber
// (`o.subscriber`), the two sockets may land on different console replicas: the browser's replica
// owns the session, and an agent landing elsewhere is bridged to it over pub/sub (relay-bus.mjs).
import { WebSocketServer } from "ws";
import {
  JOIN_CAPPED,
  RENEW_LEASE,
  SERIAL_LIMITS,
  SERIAL_PATHS,
  doorbellKey,
  hostSessionsKey,
  ticketKey,
  vmSessionKey,
} from "./keys.mjs";
import { bridgeAgent, createRelayBus, downChannel, toBuffer, upChannel } from "./relay-bus.mjs";

/** Close codes the browser shows as states (4000–4999 are the application's). */
export const SERIAL_CLOSE = Object.freeze({
  ticket: 4401,
  forbidden: 4403,
  gone: 4404,
  replaced: 4409,
  vmClosed: 4410,
  busy: 4429,
  hostSilent: 4504,
  limit: 4408,
});

/**
 * @typedef {{ kind: "user" | "agent", sessionId: string, instanceId: string, hostId: string, orgId: string, actor: string }} Ticket
 * @typedef {import("ws").WebSocket} Socket
 * @typedef {{ remote: boolean, attachId?: string, send(bytes: Buffer): void, pause(): void, resume(): void,
 *   close(): void }} AgentLink
 *   the agent's side of a session: its socket here, or a bridge to it on another replica
 * @typedef {{ id: string, instanceId: string, hostId: string, orgId: string, actor: string, user: Socket,
 *   agent: AgentLink | null, timers: NodeJS.Timeout[], tokens: number, refilled: number, lastByte: number,
 *   heard: number, paused: boolean, unlisten: () => void }} Session
 * @typedef {{ getdel(key: string): Promise<string | null>, rpush(key: string, v: string): Promise<number>,
 *   expire(key: string, s: number): Promise<number>, publish(channel: string, message: Buffer): Promise<number>,
 *   set(key: string, value: string, ex: "EX", seconds: number, get: "GET"): Promise<string | null> }} RelayRedis
 */

/** @param {string | null} raw @returns {Ticket | null} */
function parseTicket(raw) {
  if (!raw) return null;
  try {
    const t = JSON.parse(raw);
    const ok =
      (t.kind === "user" || t.kind === "agent") &&
      ["sessionId", "instanceId", "hostId", "orgId", "actor"].every((k) => typeof t[k] === "string");
    return ok ? t : null;
  } catch {
    return null;
  }
}

/**
 * @param {{ redis: RelayRedis, subscriber?: import("./relay-bus.mjs").BusSubscriber | undefined,
 *   publicUrl?: string | undefined, limits?: Partial<typeof SERIAL_LIMITS>,
 *   log?: (level: "info" | "warn", msg: string, fields: Record<string, unknown>) => void, now?: () => number }} o
 */
export function createSerialRelay(o) {
  const limits = { ...SERIAL_LIMITS, ...o.limits };
  const now = o.now ?? Date.now;
  const log = o.log ?? (() => undefined);
  const origin = o.publicUrl ? new URL(o.publicUrl).origin : null;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes });
  /** @type {Map<string, Session>} */
  const sessions = new Map();
  const bus = o.subscriber ? createRelayBus({ publisher: o.redis, subscriber: o.subscriber, log }) : null;
  /** agents of other replicas' sessions bridged from here */
  let bridges = 0;
  /** how long a session counts towards its host's cap unless its owner (this replica) renews it */
  const leaseMs = 3 * limits.busAliveMs;
  /** @param {string} hostId @param {string} sessionId */
  const leave = (hostId, sessionId) => void o.redis.zrem(hostSessionsKey(hostId), sessionId).catch(() => undefined);
  const renew = setInterval(() => {
    for (const s of sessions.values())
      o.redis.eval(RENEW_LEASE, 1, hostSessionsKey(s.hostId), s.id, leaseMs).catch(() => undefined);
  }, limits.busAliveMs);
  renew.unref?.();

  /** @param {Socket} ws @param {number} code @param {string} message */
  function refuse(ws, code, message) {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: "status", state: "closed", code, message }));
    ws.close(code, message.slice(0, 120));
  }

  /** @param {Session} s @param {number} code @param {string} message */
  function end(s, code, message) {
    if (sessions.get(s.id) !== s) return;
    sessions.delete(s.id);
    leave(s.hostId, s.id);
    s.timers.forEach(clearTimeout);
    refuse(s.user, code, message);
    s.agent?.close();
    s.unlisten();
    log("info", "serial console closed", { sessionId: s.id, instanceId: s.instanceId, hostId: s.hostId, code });
  }

  /** @param {Socket} ws @param {Ticket} t */
  async function openUser(ws, t) {
    const busy = "too many serial consoles are open on this host; close one and retry";
    if (sessions.size >= limits.total) return refuse(ws, SERIAL_CLOSE.busy, busy);
    // the host's sessions are counted across replicas (keys.mjs JOIN_CAPPED), each under a deadline its owner renews
    // (Redis failing is a fault, answered by handleUpgrade as one: not "too many")
    const joined = await o.redis.eval(JOIN_CAPPED, 1, hostSessionsKey(t.hostId), t.sessionId, limits.perHost, leaseMs);
    if (joined !== 1) return refuse(ws, SERIAL_CLOSE.busy, busy);
    if (ws.readyState !== ws.OPEN) return void leave(t.hostId, t.sessionId); // the browser left meanwhile
    // (this process filled up meanwhile: the place taken on the host is given back)
    if (sessions.size >= limits.total) {
      leave(t.hostId, t.sessionId);
      return refuse(ws, SERIAL_CLOSE.busy, busy);
    }
    // QEMU serves one client per serial port: a new session takes the VM's console over
    for (const s of sessions.values())
      if (s.instanceId === t.instanceId)
        end(s, SERIAL_CLOSE.replaced, "another serial console session took this VM over");
    /** @type {Session} */
    const s = {
      id: t.sessionId,
      instanceId: t.instanceId,
      hostId: t.hostId,
      orgId: t.orgId,
      actor: t.actor,
      user: ws,
      agent: null,
      timers: [],
      tokens: limits.inputBurstBytes,
      refilled: now(),
      lastByte: now(),
      heard: now(),
      paused: false,
      unlisten: () => undefined,
    };
    sessions.set(s.id, s);
    ws.on("close", () => end(s, 1000, "closed by the browser"));
    ws.on("message", (data, isBinary) => input(s, data, isBinary));
    s.timers.push(
      setTimeout(
        () => s.agent || end(s, SERIAL_CLOSE.hostSilent, "the VM's host did not connect (is its agent online?)"),
        limits.agentWaitMs,
      ),
    );
    log("info", "serial console opened", {
      sessionId: s.id,
      instanceId: s.instanceId,
      hostId: s.hostId,
      orgId: s.orgId,
      actor: s.actor,
    });
    if (bus) {
      // the agent may land on another replica: be the one it finds before the doorbell rings
      s.unlisten = await bus.listen(upChannel(s.id), {
        data: (bytes) => s.agent?.remote && fromAgent(s, bytes),
        control: (c) => fromBus(s, c),
      });
      if (sessions.get(s.id) !== s) return s.unlisten(); // ended meanwhile
      // ... and one session per VM across replicas too: the previous one, wherever it is, is told
      const previous = await o.redis.set(vmSessionKey(s.instanceId), s.id, "EX", limits.maxSessionMs / 1000, "GET");
      if (previous && previous !== s.id && !sessions.has(previous))
        await bus.control(upChannel(previous), { t: "replaced" });
    }
    if (sessions.get(s.id) !== s) return;
    await o.redis.rpush(doorbellKey(t.hostId), t.sessionId);
    await o.redis.expire(doorbellKey(t.hostId), Math.ceil(limits.agentWaitMs / 1000) + 10);
    if (sessions.get(s.id) === s)
      ws.send(JSON.stringify({ type: "status", state: "waiting", message: "waiting for the VM's host" }));
  }

  /** Keystrokes: a token bucket per session; what exceeds it is dropped and said so. */
  /** @param {Session} s @param {import("ws").RawData} data @param {boolean} isBinary */
  function input(s, data, isBinary) {
    if (!s.agent || !isBinary) return;
    const bytes = toBuffer(data);
    const t = now();
    s.tokens = Math.min(limits.inputBurstBytes, s.tokens + ((t - s.refilled) / 1000) * limits.inputBytesPerSecond);
    s.refilled = t;
    if (bytes.length > s.tokens) {
      s.user.send(
        JSON.stringify({
          type: "status",
          state: "notice",
          message: "input faster than the console takes it was dropped",
        }),
      );
      return;
    }
    s.tokens -= bytes.length;
    s.lastByte = t;
    s.agent.send(bytes);
  }

  /** The agent's output towards the browser; a slow browser pauses the agent's side. */
  /** @param {Session} s @param {Buffer} bytes */
  function fromAgent(s, bytes) {
    if (s.user.readyState !== s.user.OPEN) return;
    s.lastByte = now();
    s.user.send(bytes, { binary: true });
    if (s.paused || s.user.bufferedAmount <= limits.maxBufferedBytes) return;
    s.paused = true;
    s.agent?.pause();
    const check = setInterval(() => {
      if (s.user.bufferedAmount > limits.maxBufferedBytes / 2 && sessions.get(s.id) === s) return;
      clearInterval(check);
      s.paused = false;
      s.agent?.resume();
    }, 50);
  }

  /** @param {Session} s @param {{ hostId: string, instanceId: string, orgId: string }} t */
  const matches = (s, t) => !s.agent && s.hostId === t.hostId && s.instanceId === t.instanceId && s.orgId === t.orgId;

  /** @param {boolean} found @param {{ sessionId: string, hostId: string, instanceId: string, attachId?: string }} t @param {Socket} [ws] */
  function refuseAgent(found, t, ws) {
    log("warn", "serial console: an agent was refused a session", {
      sessionId: t.sessionId,
      hostId: t.hostId,
      instanceId: t.instanceId,
    });
    const message = "no such serial console session for this host";
    if (ws) refuse(ws, found ? SERIAL_CLOSE.forbidden : SERIAL_CLOSE.gone, message);
    else
      void bus?.control(downChannel(t.sessionId), {
        t: "refused",
        to: t.attachId,
        code: SERIAL_CLOSE.forbidden,
        message,
      });
  }

  /** The session has its agent (here or bridged): bytes flow, the time limits run. */
  /** @param {Session} s @param {AgentLink} link */
  function bind(s, link) {
    s.agent = link;
    s.timers.push(
      setTimeout(() => end(s, SERIAL_CLOSE.limit, "the session reached its time limit"), limits.maxSessionMs),
    );
    const idle = setInterval(
      () => {
        if (sessions.get(s.id) !== s) clearInterval(idle);
        else if (now() - s.lastByte > limits.idleMs) end(s, SERIAL_CLOSE.limit, "the session was idle too long");
      },
      Math.min(limits.idleMs, 60_000),
    );
    s.timers.push(idle);
    s.user.send(JSON.stringify({ type: "status", state: "connected" }));
    log("info", "serial console connected", {
      sessionId: s.id,
      instanceId: s.instanceId,
      hostId: s.hostId,
      remote: link.remote,
    });
  }

  /** @param {Session} s @param {number} code @param {string} reason */
  const agentClosed = (s, code, reason) =>
    end(
      s,
      code >= 4000 && code < 5000 ? code : SERIAL_CLOSE.vmClosed,
      reason || "the VM's console closed (stopped, or its host lost it)",
    );

  /** What another replica says about a session this one owns (relay-bus.mjs). */
  /** @param {Session} s @param {import("./relay-bus.mjs").Control} c */
  function fromBus(s, c) {
    // beats and closes count only from the agent this session took (others may be asking meanwhile)
    const bound = s.agent?.remote && c.id === s.agent.attachId;
    if (bound) s.heard = now();
    if (c.t === "replaced") end(s, SERIAL_CLOSE.replaced, "another serial console session took this VM over");
    else if (c.t === "closed" && bound) agentClosed(s, Number(c.code), String(c.reason ?? ""));
    else if (c.t === "attach") {
      const t = {
        sessionId: s.id,
        attachId: String(c.id),
        hostId: String(c.hostId),
        instanceId: String(c.instanceId),
        orgId: String(c.orgId),
      };
      if (!matches(s, t)) return refuseAgent(true, t);
      if (!bus) return;
      const down = downChannel(s.id);
      void bus.control(down, { t: "accepted", to: t.attachId });
      s.heard = now();
      bind(s, {
        remote: true,
        attachId: t.attachId,
        send: (bytes) => void bus.data(down, bytes),
        pause: () => void bus.control(down, { t: "pause" }),
        resume: () => void bus.control(down, { t: "resume" }),
        close: () => void bus.control(down, { t: "close" }),
      });
      const alive = setInterval(() => {
        if (sessions.get(s.id) !== s) clearInterval(alive);
        else if (now() - s.heard > 3 * limits.busAliveMs)
          end(s, SERIAL_CLOSE.vmClosed, "the console replica carrying the VM's host went away");
        else void bus.control(down, { t: "alive" });
      }, limits.busAliveMs);
      s.timers.push(alive);
    }
  }

  /** @param {Socket} ws @param {Ticket} t */
  async function attachAgent(ws, t) {
    const s = sessions.get(t.sessionId);
    if (!s && bus && bridges < limits.total) {
      // the session may be another replica's: bridge this agent to it
      bridges++;
      ws.once("close", () => bridges--);
      const bridged = await bridgeAgent(bus, ws, t, {
        aliveMs: limits.busAliveMs,
        acceptMs: limits.bridgeAcceptMs,
        now,
        refuse,
        gone: SERIAL_CLOSE.gone,
        lost: SERIAL_CLOSE.vmClosed,
      });
      if (bridged) return;
    }
    // the ticket was minted for this host's credential; the session must be for that very host and VM
    if (!s || !matches(s, t)) return refuseAgent(Boolean(s), t, ws);
    ws.on("message", (data, isBinary) => isBinary && fromAgent(s, toBuffer(data)));
    ws.on("close", (code, reason) => agentClosed(s, code, reason.toString()));
    bind(s, {
      remote: false,
      send: (bytes) => ws.send(bytes, { binary: true }),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      close: () => ws.close(1000, "session ended"),
    });
  }

  /** @param {"user" | "agent"} kind @param {Socket} ws @param {import("node:http").IncomingMessage} req @param {string} ticket */
  async function admit(kind, ws, req, ticket) {
    ws.on("error", () => undefined);
    const claimed = req.headers.origin;
    // a browser always says where the page came from: only the console's own pages may open a console
    if (kind === "user" && origin && claimed && claimed !== origin)
      return refuse(ws, SERIAL_CLOSE.forbidden, "a serial console opens only from the console's own pages");
    const t = /^s[ca]t_[A-Za-z0-9_-]{16,64}$/.test(ticket)
      ? parseTicket(await o.redis.getdel(ticketKey(ticket)))
      : null;
    if (!t || t.kind !== kind) {
      log("warn", "serial console: a ticket was refused", { kind, address: req.socket.remoteAddress });
      return refuse(
        ws,
        SERIAL_CLOSE.ticket,
        "this console link has expired or was used already: open the console again",
      );
    }
    if (ws.readyState !== ws.OPEN) return;
    if (kind === "user") await openUser(ws, t);
    else await attachAgent(ws, t);
  }

  return {
    /**
     * For an HTTP server's "upgrade" event: true when the request was the relay's (handled), false
     * when it is someone else's.
     * @param {import("node:http").IncomingMessage} req @param {import("node:stream").Duplex} socket @param {Buffer} head
     */
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? "/", "http://relay");
      const kind = url.pathname === SERIAL_PATHS.user ? "user" : url.pathname === SERIAL_PATHS.agent ? "agent" : null;
      if (!kind) return false;
      const ticket = url.searchParams.get("ticket") ?? "";
      wss.handleUpgrade(req, socket, head, (ws) => {
        admit(kind, ws, req, ticket).catch((/** @type {Error} */ e) => {
          log("warn", "serial console: admission failed", { error: e.message });
          refuse(ws, 1011, "the console could not open this session; retry");
        });
      });
      return true;
    },
    /** Sessions open now (for tests and logs). */
    get size() {
      return sessions.size;
    },
    close() {
      clearInterval(renew);
      for (const s of [...sessions.values()]) end(s, 1001, "the console is shutting down");
      wss.close();
    },
  };
}
