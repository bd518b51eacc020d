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

async function post<S extends z.ZodType>(
  url: string,
  body: unknown,
  schema: S,
  credential?: string,
  timeoutMs = 10_000,
): Promise<z.output<S>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((error: unknown) => {
    // fetch says only "fetch failed": the reason (refused, a certificate not trusted, no route) is its cause
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new Error(cause ? `${(error as Error).message}: ${cause}` : (error as Error).message, { cause: error });
  });
  const payload = (await res.json().catch(() => null)) as { message?: string; data?: { domainCode?: string } } | null;
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
export function controlPlane(baseUrl: string) {
  const api = `${baseUrl.replace(/\/+$/, "")}/api/v1`;
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
