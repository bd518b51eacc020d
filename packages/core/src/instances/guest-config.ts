import { MAX_SSH_KEYS, MAX_USER_DATA_CHARS, idRef, type InstanceRuntime, type InstanceSpec } from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { openSecret, sealSecret } from "../secrets/sealed.ts";
import { resolveSshKeys } from "../ssh-keys/ssh-keys.ts";

/**
 * A VM's guest configuration (issue 17): the organization's SSH keys chosen at launch and the
 * user's cloud-init user-data, fixed at the launch and kept in the instance's own row
 * (`instance_guest_configs`) so every start, resume and restart hands the agent the same spec. The
 * user-data may hold passwords or tokens: it is sealed (`secrets/sealed.ts`: AES-256-GCM, bound to
 * the instance) under the console's secrets key (NVI_SECRETS_KEY, else AUTH_SECRET), never
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

const USER_DATA = "instance user-data";

/** Sealed under the console's secrets key (`secrets/sealed.ts`); without one, user-data is refused, not kept in clear. */
export function sealUserData(deps: Pick<CoreDeps, "secretsKey">, instanceId: string, userData: string): string {
  requireSecretsKey(deps);
  return sealSecret(deps, USER_DATA, instanceId, userData);
}

function requireSecretsKey(deps: Pick<CoreDeps, "secretsKey">): void {
  if (!deps.secretsKey || deps.secretsKey.length < 32)
    throw new DomainError(
      "VALIDATION_FAILED",
      "this console has no secrets key to keep user-data encrypted under (NVI_SECRETS_KEY or AUTH_SECRET, 32+ characters)",
      { field: "userData" },
    );
}

export function openUserData(deps: Pick<CoreDeps, "secretsKey">, instanceId: string, sealed: string): string {
  return openSecret(deps, USER_DATA, instanceId, sealed);
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
  if (userData !== null) requireSecretsKey(ctx); // refuse now, not when the launch's transaction cannot seal it
  const { lines, names } = await resolveSshKeys(ctx, ids);
  return { sshKeys: lines, sshKeyNames: names, userData };
}

/** Stores the resolved configuration with the instance, in the launch's transaction. */
export async function saveGuestConfig(
  tx: DbTx,
  deps: Pick<CoreDeps, "secretsKey">,
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
 * and added only as the command is handed to the agent (`openCommandSecrets`, command-secrets.ts).
 */
export function guestSpecOf(stored: StoredGuestConfig): Pick<InstanceSpec, "sshKeys"> {
  return stored && stored.sshKeys.length > 0 ? { sshKeys: stored.sshKeys } : {};
}
