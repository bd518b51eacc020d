import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import {
  MAX_SSH_KEYS,
  MAX_USER_DATA_CHARS,
  idRef,
  type HostCommandBody,
  type InstanceRuntime,
  type InstanceSpec,
} from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { resolveSshKeys } from "../ssh-keys/ssh-keys.ts";

/**
 * A VM's guest configuration (issue 17): the organization's SSH keys chosen at launch and the
 * user's cloud-init user-data, fixed at the launch and kept in the instance's own row
 * (`instance_guest_configs`) so every start, resume and restart hands the agent the same spec. The
 * user-data may hold passwords or tokens: it is sealed (AES-256-GCM, the instance id as associated
 * data) under a key derived from the console's secret (FABRIC_CA_SECRET, else AUTH_SECRET), never
 * returned by the API, never logged or audited (only its size is), and opened only by the console
 * as it hands a VM's start to its host's agent (so `host_commands` never holds it either).
 */
export const GuestConfigInput = z.object({
  /** a VM's authorized SSH keys: ids of the organization's keys (`nvi ssh-keys list`) */
  sshKeyIds: z.array(idRef("sshKey")).max(MAX_SSH_KEYS, `at most ${MAX_SSH_KEYS} keys`).optional(),
  /** a VM's cloud-init user-data (e.g. `#cloud-config` …), handed to the guest as it is */
  userData: z.string().max(MAX_USER_DATA_CHARS, `at most ${MAX_USER_DATA_CHARS} characters`).optional(),
});
export type GuestConfigInput = z.infer<typeof GuestConfigInput>;

export interface ResolvedGuestConfig {
  sshKeys: string[];
  sshKeyNames: string[];
  userData: string | null;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "nvi instance guest config", "user-data encryption", 32));
}

function secretOf(deps: Pick<CoreDeps, "fabricSecret">): string {
  const secret = deps.fabricSecret;
  if (!secret || secret.length < 32)
    throw new DomainError(
      "VALIDATION_FAILED",
      "this console has no secret to keep user-data encrypted under (FABRIC_CA_SECRET or AUTH_SECRET, 32+ characters)",
      { field: "userData" },
    );
  return secret;
}

export function sealUserData(deps: Pick<CoreDeps, "fabricSecret">, instanceId: string, userData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(secretOf(deps)), iv);
  cipher.setAAD(Buffer.from(instanceId));
  const body = Buffer.concat([cipher.update(userData, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

export function openUserData(deps: Pick<CoreDeps, "fabricSecret">, instanceId: string, sealed: string): string {
  const raw = Buffer.from(sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(secretOf(deps)), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(instanceId));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    throw new Error(
      `the user-data of ${instanceId} cannot be decrypted with the configured secret (was FABRIC_CA_SECRET/AUTH_SECRET changed?)`,
    );
  }
}

/**
 * Checks a launch's guest configuration before anything is made: keys and user-data are for VMs
 * only, every key id names a key of the caller's organization. Null when there is none.
 */
export async function resolveGuestConfig(
  ctx: Ctx,
  runtime: InstanceRuntime,
  input: GuestConfigInput,
): Promise<ResolvedGuestConfig | null> {
  const ids = input.sshKeyIds ?? [];
  const userData = input.userData ?? null;
  if (ids.length === 0 && userData === null) return null;
  if (runtime !== "qemu")
    throw new DomainError("VALIDATION_FAILED", "SSH keys and user-data are for VMs (runtime qemu) only", {
      field: ids.length > 0 ? "sshKeyIds" : "userData",
    });
  if (userData !== null) secretOf(ctx); // refuse now, not when the worker cannot seal it
  const { lines, names } = await resolveSshKeys(ctx, ids);
  return { sshKeys: lines, sshKeyNames: names, userData };
}

/** Stores the resolved configuration with the instance, in the launch's transaction. */
export async function saveGuestConfig(
  tx: DbTx,
  deps: Pick<CoreDeps, "fabricSecret">,
  instanceId: string,
  guest: ResolvedGuestConfig | null,
): Promise<void> {
  if (!guest) return;
  await tx.instanceGuestConfig.create({
    data: {
      instanceId,
      sshKeys: guest.sshKeys,
      sshKeyNames: guest.sshKeyNames,
      userDataSealed: guest.userData === null ? null : sealUserData(deps, instanceId, guest.userData),
    },
  });
}

/** What the audit records of it: the keys' names and the user-data's size, never its text. */
export function guestAuditOf(guest: ResolvedGuestConfig | null): Record<string, unknown> {
  if (!guest) return {};
  return { sshKeys: guest.sshKeyNames, userDataChars: guest.userData?.length ?? 0 };
}

export type StoredGuestConfig = { sshKeys: string[]; userDataSealed: string | null } | null | undefined;

/**
 * The spec's guest part kept in the command (the worker's side): the authorized keys, and a marker
 * that sealed user-data exists. The user-data itself never enters `host_commands`: it is opened
 * and added only as the command is handed to the agent (`withUserData`).
 */
export function guestSpecOf(stored: StoredGuestConfig): Pick<InstanceSpec, "sshKeys"> {
  return stored && stored.sshKeys.length > 0 ? { sshKeys: stored.sshKeys } : {};
}

type Delivered = { id: string; body: HostCommandBody };

/**
 * Adds each VM start's or resume's user-data (decrypted from its instance's guest config) to the
 * commands handed to an agent. A command whose user-data cannot be opened (the console's secret
 * changed) is not handed out: it fails with the reason, and the rest of the poll goes on.
 */
export async function withUserData(
  deps: CoreDeps,
  commands: Delivered[],
): Promise<{ ready: Delivered[]; failed: { id: string; error: string }[] }> {
  const boots = commands.flatMap((c) => {
    const boot = bootOf(c.body);
    return boot?.spec.runtime === "qemu" ? [boot.spec.instanceId] : [];
  });
  if (boots.length === 0) return { ready: commands, failed: [] };
  const rows = await deps.db.instanceGuestConfig.findMany({
    where: { instanceId: { in: boots }, userDataSealed: { not: null } },
    select: { instanceId: true, userDataSealed: true },
  });
  const sealed = new Map(rows.map((r) => [r.instanceId, r.userDataSealed ?? ""]));
  const ready: Delivered[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const c of commands) {
    const boot = bootOf(c.body);
    const userData = boot ? sealed.get(boot.spec.instanceId) : undefined;
    if (!boot || userData === undefined) {
      ready.push(c);
      continue;
    }
    try {
      const spec = { ...boot.spec, userData: openUserData(deps, boot.spec.instanceId, userData) };
      ready.push({ id: c.id, body: { ...boot, spec } });
    } catch (e) {
      failed.push({ id: c.id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { ready, failed };
}

/** A command that (re-)creates an instance from its spec, or null. */
function bootOf(body: HostCommandBody) {
  return body.kind === "instance.start" || body.kind === "instance.resume" ? body : null;
}
