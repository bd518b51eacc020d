import { z } from "zod";
import { idRef } from "./ids.ts";

/**
 * SSH public keys kept per organization: chosen at a VM's launch, they become the guest's authorized
 * keys (cloud-init's `public-keys`, see InstanceSpec.sshKeys). The key itself is public; the console
 * still shows it only to members of its organization.
 */
export const SSH_KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
] as const;
export const SshKeyType = z.enum(SSH_KEY_TYPES);
export type SshKeyType = z.infer<typeof SshKeyType>;

/** An RSA key shorter than this is refused (OpenSSH itself refuses < 1024; 2048 is today's floor). */
export const SSH_RSA_MIN_BITS = 2048;
/** Longest line accepted (an RSA 16384-bit key is ≈2.8 KB of base64; nothing real comes near). */
export const SSH_KEY_MAX_CHARS = 8192;
/** Longest comment kept (the `user@host` after the key). */
export const SSH_KEY_MAX_COMMENT_CHARS = 200;

const isoDate = z.iso.datetime();

export const SshKeyDto = z.object({
  id: idRef("sshKey"),
  name: z.string(),
  type: SshKeyType,
  /** bits of the key (ed25519: 256; ecdsa: the curve's; rsa: the modulus') */
  bits: z.number().int(),
  /** `SHA256:…` as `ssh-keygen -l` prints it */
  fingerprint: z.string(),
  comment: z.string().nullable(),
  /** the `authorized_keys` line: type, body, comment */
  publicKey: z.string(),
  /** who added it (their email) */
  createdBy: z.string(),
  createdAt: isoDate,
});
export type SshKeyDto = z.infer<typeof SshKeyDto>;

/** The characters a key's name may hold: printable, no control characters. */
const NO_CONTROL = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u;

export const AddSshKeyInput = z.object({
  name: z
    .string()
    .trim()
    .min(1, "name is required")
    .max(80, "at most 80 characters")
    .regex(NO_CONTROL, "no control characters"),
  /** one OpenSSH public key line (`ssh-ed25519 AAAA… user@host`); checked strictly by the console */
  publicKey: z
    .string()
    .trim()
    .min(1, "paste a public key (the .pub file's line)")
    .max(SSH_KEY_MAX_CHARS, `at most ${SSH_KEY_MAX_CHARS} characters`),
});
export type AddSshKeyInput = z.infer<typeof AddSshKeyInput>;

export const SshKeyRef = z.object({ sshKeyId: idRef("sshKey") });
export type SshKeyRef = z.infer<typeof SshKeyRef>;
