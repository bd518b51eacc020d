import { z } from "zod";
import { idRef } from "./ids.ts";

/**
 * The serial console relay's messages (issue 17, item 5; ARCHITECTURE.md "Serial console"), parsed
 * by the console and the agent alike. Append-only: a field is added, never renamed.
 */

/** A console session id: random, unguessable, `ser_…`. */
export const SerialSessionId = z.string().regex(/^ser_[A-Za-z0-9_-]{16,64}$/, "a serial console session id (ser_…)");

/** What a browser (or script) gets for opening a VM's serial console: a one-time ticket for the WebSocket. */
export const SerialTicketDto = z.object({
  /** the WebSocket path on the console, `?ticket=` appended */
  path: z.string(),
  ticket: z.string(),
  expiresAt: z.iso.datetime(),
});
export type SerialTicketDto = z.infer<typeof SerialTicketDto>;

/** The agent's long poll: console sessions a user opened on this host's VMs. */
export const SerialWaitDto = z.object({
  sessions: z.array(z.object({ sessionId: SerialSessionId, instanceId: idRef("instance") })).max(16),
});
export type SerialWaitDto = z.infer<typeof SerialWaitDto>;

/** The agent's ticket for one session: bound to this host, that session and that VM. */
export const SerialAttachDto = z.object({
  path: z.string(),
  ticket: z.string(),
  instanceId: idRef("instance"),
});
export type SerialAttachDto = z.infer<typeof SerialAttachDto>;

/** What the relay tells the browser in text frames (output is binary frames). */
export const SerialStatus = z.object({
  type: z.literal("status"),
  state: z.enum(["waiting", "connected", "closed", "notice"]),
  code: z.number().int().optional(),
  message: z.string().optional(),
});
export type SerialStatus = z.infer<typeof SerialStatus>;
