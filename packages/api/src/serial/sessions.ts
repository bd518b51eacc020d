import { asId, type SerialAttachDto, type SerialTicketDto, type SerialWaitDto } from "@nvi/contracts";
import { DomainError, notFound, type AuthenticatedHost, type SerialConsoleTarget } from "@nvi/core";
import type { Redis } from "ioredis";
import { z } from "zod";
import {
  SERIAL_LIMITS,
  SERIAL_PATHS,
  doorbellKey,
  hostWaitsKey,
  JOIN_CAPPED,
  newSecret,
  sessionKey,
  ticketKey,
  ticketRateKey,
} from "./keys.mjs";

/** What the console keeps of a session until the agent attaches (Redis, short-lived). */
const SessionRecord = z.object({
  orgId: z.string(),
  instanceId: z.string(),
  hostId: z.string(),
  actor: z.string(),
});
type SessionRecord = z.infer<typeof SessionRecord>;

/**
 * The API's half of the serial console relay (ARCHITECTURE.md "Serial console"): one-time tickets
 * in Redis, stored under their hash, that the WebSocket relay (relay.mjs, in the console's own
 * process) redeems. A person's ticket names one session on one VM on one host; the host's agent
 * learns of the session by its long poll (`waitFor`) and gets its own ticket (`attach`) only for a
 * session on itself, for a VM the database says it runs. Nothing here decides who may: the core's
 * `authorizeSerialConsole` did.
 */
export class SerialGate {
  constructor(
    private readonly redis: Redis,
    private readonly o: { clock?: () => Date; waitMs?: number } = {},
  ) {}

  /** A person (or token) asks for tickets at a bounded rate. */
  async admit(who: string): Promise<void> {
    const key = ticketRateKey(who);
    const [[, count] = [null, 0]] = ((await this.redis.multi().incr(key).expire(key, 60, "NX").exec()) ?? []) as [
      unknown,
      number,
    ][];
    if (count > SERIAL_LIMITS.ticketsPerMinute)
      throw new DomainError("RATE_LIMITED", "too many serial console sessions asked for; wait a minute", {
        retryAfterSeconds: 60,
      });
  }

  /** A session for an authorized target, and the one-time ticket its browser connects with. */
  async open(target: SerialConsoleTarget, actor: string): Promise<SerialTicketDto> {
    const sessionId = newSecret("ser_");
    const ticket = newSecret("sct_");
    const session: SessionRecord = {
      orgId: target.orgId,
      instanceId: target.instanceId,
      hostId: target.hostId,
      actor,
    };
    await this.redis
      .multi()
      .set(sessionKey(sessionId), JSON.stringify(session), "EX", SERIAL_LIMITS.sessionSeconds)
      .set(
        ticketKey(ticket),
        JSON.stringify({ kind: "user", sessionId, ...session }),
        "EX",
        SERIAL_LIMITS.ticketSeconds,
      )
      .exec();
    return {
      path: SERIAL_PATHS.user,
      ticket,
      expiresAt: new Date(
        (this.o.clock?.() ?? new Date()).getTime() + SERIAL_LIMITS.ticketSeconds * 1000,
      ).toISOString(),
    };
  }

  private async session(sessionId: string): Promise<SessionRecord | null> {
    const raw = await this.redis.get(sessionKey(sessionId));
    if (!raw) return null;
    const parsed = SessionRecord.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  /**
   * The agent's long poll: sessions a browser opened on this host's VMs (the relay rings the host's
   * doorbell when the browser connects). Answers as soon as one comes, or empty after `ms`.
   */
  async waitFor(host: AuthenticatedHost, ms: number = this.o.waitMs ?? SERIAL_LIMITS.waitMs): Promise<SerialWaitDto> {
    // counted in Redis, so the cap holds across console replicas; each poll is listed with its
    // deadline, so one a dead replica never took back stops counting once that has passed
    const key = hostWaitsKey(host.id);
    const me = newSecret("w_");
    if ((await this.redis.eval(JOIN_CAPPED, 1, key, me, SERIAL_LIMITS.waitsPerHost, ms + 5_000)) !== 1) {
      throw new DomainError("RATE_LIMITED", "this host is already waiting for console sessions", {
        retryAfterSeconds: 5,
      });
    }
    // a blocking pop holds its connection: one of its own, closed after
    const conn = this.redis.duplicate();
    try {
      const first = await conn.blpop(doorbellKey(host.id), ms / 1000);
      const ids = first ? [first[1], ...((await conn.lpop(doorbellKey(host.id), 15)) ?? [])] : [];
      const sessions: SerialWaitDto["sessions"] = [];
      for (const sessionId of ids) {
        const s = await this.session(sessionId);
        if (s?.hostId === host.id) sessions.push({ sessionId, instanceId: asId("instance", s.instanceId) });
      }
      return { sessions };
    } finally {
      conn.disconnect();
      await this.redis.zrem(key, me).catch(() => 0);
    }
  }

  /**
   * The agent's ticket for one session: only a session on this very host, only once, and only for
   * a VM `check` confirms this host runs.
   */
  async attach(
    host: AuthenticatedHost,
    sessionId: string,
    check: (instanceId: string) => Promise<void>,
  ): Promise<SerialAttachDto> {
    const s = await this.session(sessionId);
    if (!s || s.hostId !== host.id || s.orgId !== host.orgId) throw notFound("serial console session");
    await check(s.instanceId);
    if ((await this.redis.del(sessionKey(sessionId))) !== 1) throw notFound("serial console session");
    const ticket = newSecret("sat_");
    const record = { kind: "agent", sessionId, instanceId: s.instanceId, hostId: host.id, orgId: s.orgId };
    await this.redis.set(ticketKey(ticket), JSON.stringify({ ...record, actor: `host ${host.name}` }), "EX", 30);
    return { path: SERIAL_PATHS.agent, ticket, instanceId: asId("instance", s.instanceId) };
  }
}
