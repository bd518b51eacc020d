// @ts-check
// The serial console relay's shared layout (Redis keys, paths, limits), in plain JavaScript so that
// the console's Node entry (apps/web/server.mjs, no TypeScript at run time) and the API's
// TypeScript (sessions.ts) read one definition. ARCHITECTURE.md "Serial console" tells the design.
import { createHash, randomBytes } from "node:crypto";

/** The two WebSocket paths the relay serves; everything else is not the relay's. */
export const SERIAL_PATHS = Object.freeze({
  user: "/api/v1/serial/connect",
  agent: "/api/v1/agent/serial/connect",
});

export const SERIAL_LIMITS = Object.freeze({
  /** a ticket is redeemed once, within this */
  ticketSeconds: 30,
  /** a session waits this long for the host's agent to dial in */
  agentWaitMs: 20_000,
  /** a session record lives until the agent attaches (ticket + wait + slack) */
  sessionSeconds: 60,
  /** the agent's long poll */
  waitMs: 20_000,
  /** long polls at once per host, counted across console replicas (one agent needs one) */
  waitsPerHost: 2,
  /** a session ends after this, however busy */
  maxSessionMs: 8 * 3600_000,
  /** ... or after this without a byte either way */
  idleMs: 30 * 60_000,
  /** keystrokes (and pastes) per session: a token bucket */
  inputBytesPerSecond: 16 * 1024,
  inputBurstBytes: 64 * 1024,
  /** one WebSocket frame, either side */
  maxFrameBytes: 64 * 1024,
  /** output queued for a slow browser before the guest's side is paused */
  maxBufferedBytes: 1024 * 1024,
  /** sessions at once: per host, and in one console process */
  perHost: 8,
  total: 256,
  /** console replicas bridging one session (relay-bus.mjs) tell each other they are alive this often;
   *  three missed beats end it */
  busAliveMs: 5_000,
  /** an agent landing on a replica that does not hold its session waits this long to be taken */
  bridgeAcceptMs: 5_000,
  /** tickets one person (or token) may ask for per minute */
  ticketsPerMinute: 30,
});

const sha256 = (/** @type {string} */ s) => createHash("sha256").update(s).digest("hex");

/** A ticket is stored under its hash: a Redis dump holds no usable ticket. */
export const ticketKey = (/** @type {string} */ ticket) => `nvi:serial:ticket:${sha256(ticket)}`;
export const sessionKey = (/** @type {string} */ sessionId) => `nvi:serial:session:${sessionId}`;
/** The sessions waiting for one host's agent (its long poll pops them). */
export const doorbellKey = (/** @type {string} */ hostId) => `nvi:serial:host:${hostId}`;
/** The agent long polls a host has open, across console replicas: a sorted set of poll ids by deadline. */
export const hostWaitsKey = (/** @type {string} */ hostId) => `nvi:serial:waits:${hostId}`;
/** The browser sessions open on a host's VMs, across console replicas, by the deadline their owner renews. */
export const hostSessionsKey = (/** @type {string} */ hostId) => `nvi:serial:open:${hostId}`;

/** Redis's clock in ms, as `now`: the start of both lease scripts. */
const NOW_MS = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)`;

/**
 * A cap that holds across console replicas: one Redis script over a sorted set of leases (member →
 * deadline, ms on Redis's clock, so replicas' clocks don't matter). Leases past their deadline leave
 * first (a replica that died takes nothing with it for longer than that), then the member joins only
 * if it fits under the cap. Answers 1 (joined) or 0 (refused). KEYS[1]: the set; ARGV: the member,
 * the cap, the lease (ms). The set lives as long as its newest lease.
 */
export const JOIN_CAPPED = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** A lease renewed (or taken again, if it lapsed) for another lease time: KEYS[1]: the set; ARGV: the member, the lease (ms). */
export const RENEW_LEASE = `${NOW_MS}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** The VM's newest session, so that a session opened on another console replica takes it over. */
export const vmSessionKey = (/** @type {string} */ instanceId) => `nvi:serial:vm:${instanceId}`;
export const ticketRateKey = (/** @type {string} */ who) => `nvi:serial:rate:${sha256(who)}`;

/** 24 random bytes, base64url, after a prefix (`ser_`, `sct_` user ticket, `sat_` agent ticket). */
export const newSecret = (/** @type {string} */ prefix) => prefix + randomBytes(24).toString("base64url");
