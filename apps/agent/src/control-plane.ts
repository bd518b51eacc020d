import {
  EnrollResponse,
  HeartbeatResponse,
  HostCommandBody,
  RecordedDto,
  SerialAttachDto,
  SerialWaitDto,
  type CommandResult,
  type HostCommandDto,
  type HostFacts,
  type InstanceInventoryItem,
} from "@nvi/contracts";
import { z } from "zod";

/** The control plane refused us for good (bad join token, removed host): retrying will not help. */
export class RefusedError extends Error {}

/**
 * The console refused this host's identity claim (a changed or conflicting datapath id, address, MAC
 * or instance block): not for good, an owner or admin may approve it, so the agent keeps asking.
 */
export class IdentityRefusedError extends Error {}

/**
 * The console has no room for this host: its organization is at a limit (hosts, or /24s of the
 * instance pool) or the pool is full. At enrollment it ends the agent like any refusal (exit 3, the
 * reason in the log, which install.sh prints); an enrolled host keeps heartbeating until there is room.
 */
export class LimitRefusedError extends RefusedError {}
/**
 * The console did not take the host credential the call was made with (401): a rotated credential
 * that lost a race, or one the console moved past. Only this refusal makes the agent try its other
 * credential (state.ts); any other refusal says nothing about which credential is valid.
 */
export class CredentialRefusedError extends RefusedError {}

const LIMIT_CODES = new Set(["HOST_QUOTA_REACHED", "INSTANCE_BLOCK_QUOTA_REACHED", "INSTANCE_POOL_FULL"]);

/** The longest a `Retry-After` is taken at its word (a console asking for more is waited on in turns of this). */
export const MAX_RETRY_AFTER_SECONDS = 300;

/**
 * Seconds to wait from a 429's `Retry-After` (delta-seconds or an HTTP date), between 1 and
 * MAX_RETRY_AFTER_SECONDS; 5 when it is missing or unreadable.
 */
export function retryAfterSeconds(header: string | null, now = Date.now()): number {
  const value = (header ?? "").trim();
  const seconds = /^\d+$/.test(value) ? Number(value) : value ? (Date.parse(value) - now) / 1000 : Number.NaN;
  return Number.isFinite(seconds) ? Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds))) : 5;
}

export interface ControlPlaneOptions {
  /** told once when the console starts asking this host to slow down (again after a minute without a 429) */
  log?: (level: "info" | "warn", msg: string, fields: Record<string, unknown>) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A 429 after this long without one is a new episode, worth a line in the log again. */
const THROTTLE_QUIET_MS = 60_000;

/**
 * The console's rate limit on this host (429 + Retry-After): every call of this client waits until the
 * time it names, then is sent again. Nothing is dropped and nothing ends: the loops just run later.
 */
class Throttle {
  private notBefore = 0;
  private lastRefused = -Infinity;

  constructor(private readonly o: ControlPlaneOptions) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  async turn(): Promise<void> {
    for (let wait = this.notBefore - this.now(); wait > 0; wait = this.notBefore - this.now())
      await (this.o.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms))))(wait);
  }

  refused(header: string | null, message: string | undefined): void {
    const seconds = retryAfterSeconds(header, this.now());
    this.notBefore = Math.max(this.notBefore, this.now() + seconds * 1000);
    if (this.now() - this.lastRefused > THROTTLE_QUIET_MS)
      this.o.log?.("warn", "the console asks this host to slow down (429); its calls wait as it says", {
        retryAfterSeconds: seconds,
        error: message,
      });
    this.lastRefused = this.now();
  }
}

async function postWith<S extends z.ZodType>(
  throttle: Throttle,
  url: string,
  body: unknown,
  schema: S,
  credential?: string,
  timeoutMs = 10_000,
): Promise<z.output<S>> {
  for (;;) {
    await throttle.turn();
    const res = await send(url, body, credential, timeoutMs);
    const payload = (await res.json().catch(() => null)) as Payload;
    if (res.status === 429) {
      throttle.refused(res.headers.get("retry-after"), payload?.message);
      continue;
    }
    return answerOf(res, payload, schema, credential);
  }
}

type Payload = { message?: string; data?: { domainCode?: string } } | null;

async function send(url: string, body: unknown, credential: string | undefined, timeoutMs: number): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((error: unknown) => {
    // fetch says only "fetch failed": the reason (refused, a certificate not trusted, no route) is its cause
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new Error(cause ? `${(error as Error).message}: ${cause}` : (error as Error).message, { cause: error });
  });
}

function answerOf<S extends z.ZodType>(res: Response, payload: Payload, schema: S, credential?: string): z.output<S> {
  if (res.status === 409 && payload?.data?.domainCode === "HOST_IDENTITY_CONFLICT")
    throw new IdentityRefusedError(payload.message ?? "host identity refused");
  if ((res.status === 403 || res.status === 409) && LIMIT_CODES.has(payload?.data?.domainCode ?? ""))
    throw new LimitRefusedError(`${res.status} ${payload?.data?.domainCode}: ${payload?.message ?? res.statusText}`);
  if (res.status === 401 && credential) throw new CredentialRefusedError(`401: ${payload?.message ?? res.statusText}`);
  if (res.status === 401 || res.status === 403 || res.status === 409 || res.status === 400) {
    throw new RefusedError(`${res.status}: ${payload?.message ?? res.statusText}`);
  }
  if (!res.ok) throw new Error(`control plane answered ${res.status}: ${payload?.message ?? res.statusText}`);
  return schema.parse(payload);
}

const PollAnswer = z.object({
  commands: z.array(z.object({ id: z.string(), body: z.unknown() })),
  missing: z.array(z.string()),
});

/** A command this agent understands, or the reason it does not (a newer console: answered as a failure, the rest still run). */
export type PolledCommand = HostCommandDto | { id: string; unknown: string };

export function readCommand(c: { id: string; body: unknown }): PolledCommand {
  const body = HostCommandBody.safeParse(c.body);
  if (body.success) return { id: c.id, body: body.data };
  const kind = typeof c.body === "object" && c.body !== null && "kind" in c.body ? String(c.body.kind) : "?";
  return { id: c.id, unknown: `this agent version does not know the command ${kind}: upgrade the agent` };
}

/** The agent's side of the channel: it always dials out, never listens. */
export function controlPlane(baseUrl: string, options: ControlPlaneOptions = {}) {
  const api = `${baseUrl.replace(/\/+$/, "")}/api/v1`;
  const throttle = new Throttle(options);
  const post = <S extends z.ZodType>(...args: [string, unknown, S, string?, number?]) => postWith(throttle, ...args);
  return {
    enroll: (joinToken: string, facts: HostFacts, csr?: string) =>
      post(`${api}/agent/enroll`, { joinToken, facts, csr }, EnrollResponse),
    heartbeat: (credential: string, facts: HostFacts, csr?: string) =>
      post(`${api}/agent/heartbeat`, { facts, csr }, HeartbeatResponse, credential),
    /**
     * `resume`: the first poll since the agent started or lost the console (unanswered commands come at once);
     * `running`: the commands still queued or running here (not handed out again while they are)
     */
    commands: async (
      credential: string,
      inventory: InstanceInventoryItem[],
      resume = false,
      running: string[] = [],
    ) => {
      const answer = await post(
        `${api}/agent/commands`,
        { inventory, ...(resume ? { resume } : {}), ...(running.length > 0 ? { running } : {}) },
        PollAnswer,
        credential,
      );
      return { commands: answer.commands.map(readCommand), missing: answer.missing };
    },
    /** The long poll for serial console sessions on this host's VMs (the console answers within 20 s). */
    serialWait: (credential: string) => post(`${api}/agent/serial/wait`, {}, SerialWaitDto, credential, 35_000),
    /** A one-time ticket to carry one serial console session (only for a session on this host). */
    serialAttach: (credential: string, sessionId: string) =>
      post(`${api}/agent/serial/${encodeURIComponent(sessionId)}/attach`, {}, SerialAttachDto, credential),
    /** The console's address for the agent's WebSockets (ws:, or wss: behind TLS). */
    wsUrl: (path: string) => `${baseUrl.replace(/\/+$/, "").replace(/^http/, "ws")}${path}`,
    result: (credential: string, commandId: string, result: CommandResult) =>
      post(`${api}/agent/commands/${encodeURIComponent(commandId)}/result`, { result }, RecordedDto, credential),
  };
}
