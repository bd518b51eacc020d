import { EnrollResponse, HeartbeatResponse, HostCommandDto, type CommandResult, type HostFacts, type InstanceInventoryItem } from "@nvi/contracts";
import { z } from "zod";

/** The control plane refused us for good (bad join token, removed host): retrying will not help. */
export class RefusedError extends Error {}

async function post<S extends z.ZodType>(url: string, body: unknown, schema: S, credential?: string): Promise<z.output<S>> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const payload = (await res.json().catch(() => null)) as { message?: string } | null;
  if (res.status === 401 || res.status === 403 || res.status === 409 || res.status === 400) {
    throw new RefusedError(`${res.status}: ${payload?.message ?? res.statusText}`);
  }
  if (!res.ok) throw new Error(`control plane answered ${res.status}: ${payload?.message ?? res.statusText}`);
  return schema.parse(payload);
}

/** The agent's side of the channel: it always dials out, never listens. */
export function controlPlane(baseUrl: string) {
  const api = `${baseUrl.replace(/\/+$/, "")}/api/v1`;
  return {
    enroll: (joinToken: string, facts: HostFacts) => post(`${api}/agent/enroll`, { joinToken, facts }, EnrollResponse),
    heartbeat: (credential: string, facts: HostFacts) => post(`${api}/agent/heartbeat`, { facts }, HeartbeatResponse, credential),
    commands: (credential: string, inventory: InstanceInventoryItem[]) =>
      post(`${api}/agent/commands`, { inventory }, z.object({ commands: z.array(HostCommandDto), missing: z.array(z.string()) }), credential),
    result: (credential: string, commandId: string, result: CommandResult) =>
      post(`${api}/agent/commands/${encodeURIComponent(commandId)}/result`, { result }, z.object({ recorded: z.literal(true) }), credential),
  };
}
