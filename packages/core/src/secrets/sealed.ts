import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { CoreDeps } from "../context.ts";
import { DomainError } from "../errors.ts";

/**
 * Secrets the console keeps for tenants (a container's environment, a registry's password) are
 * sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the secrets key (NVI_SECRETS_KEY,
 * else AUTH_SECRET; the console and the worker need the same one). Each value is bound to where it
 * is kept (`purpose` and the row's id as associated data), so a sealed value copied to another row
 * or column does not open. Layout: base64(iv[12] ‖ tag[16] ‖ ciphertext). Nothing here logs.
 */
const MIN_KEY_CHARS = 32;

function keyOf(deps: Pick<CoreDeps, "secretsKey">): Buffer {
  const secret = deps.secretsKey;
  if (!secret || secret.length < MIN_KEY_CHARS)
    throw new DomainError(
      "HOST_UNAVAILABLE",
      "this console keeps no secrets: set NVI_SECRETS_KEY (or AUTH_SECRET), at least 32 characters, for the console and the worker",
    );
  return Buffer.from(hkdfSync("sha256", secret, "nvi sealed secrets", "aes-256-gcm v1", 32));
}

const aadOf = (purpose: string, rowId: string) => Buffer.from(`${purpose}\0${rowId}`);

export function sealSecret(deps: Pick<CoreDeps, "secretsKey">, purpose: string, rowId: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(deps), iv);
  cipher.setAAD(aadOf(purpose, rowId));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

export function openSecret(deps: Pick<CoreDeps, "secretsKey">, purpose: string, rowId: string, sealed: string): string {
  const raw = Buffer.from(sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(deps), raw.subarray(0, 12));
  decipher.setAAD(aadOf(purpose, rowId));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    throw new DomainError(
      "HOST_UNAVAILABLE",
      `a stored ${purpose} cannot be opened with the configured secrets key (was NVI_SECRETS_KEY or AUTH_SECRET changed?)`,
    );
  }
}
