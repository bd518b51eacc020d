import { readFileSync } from "node:fs";
import { arg, need, UsageError, type ParsedArgs } from "./args.ts";
import type { Command } from "./command.ts";

const opt = (a: ParsedArgs, f: string): string | undefined => (typeof a.flags[f] === "string" ? a.flags[f] : undefined);

/** A file's text for a flag (`--file ~/.ssh/id_ed25519.pub`, `--user-data cloud-init.yaml`), or a usage error saying why not. */
function fileText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`--${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The public key to add: `--key "ssh-ed25519 AAAA… me@laptop"` or `--file PATH` (a .pub file). */
function publicKey(a: ParsedArgs): string {
  const key = opt(a, "key");
  const file = opt(a, "file");
  if (key && file) throw new UsageError("give --key or --file, not both");
  if (key) return key;
  if (file) return fileText(file, "file");
  throw new UsageError("give the public key: --key 'ssh-ed25519 AAAA… me@laptop' or --file ~/.ssh/id_ed25519.pub");
}

/**
 * A VM launch's guest flags: `--ssh-key ID[,ID…]` (the organization's keys, `nvi ssh-keys list`)
 * and `--user-data FILE` (cloud-init user-data, e.g. a `#cloud-config` file).
 */
export function vmGuestFlags(a: ParsedArgs): { sshKeyIds?: string[]; userData?: string } {
  const keys = opt(a, "ssh-key");
  const file = opt(a, "user-data");
  return {
    ...(keys
      ? {
          sshKeyIds: keys
            .split(",")
            .map((k) => k.trim())
            .filter(Boolean),
        }
      : {}),
    ...(file ? { userData: fileText(file, "user-data") } : {}),
  };
}

export const SSH_KEY_COMMANDS: Command[] = [
  {
    words: ["ssh-keys", "list"],
    usage: "ssh-keys list",
    summary: "SSH public keys of the organization (chosen at a VM's launch with --ssh-key)",
    method: "GET",
    path: () => "/ssh-keys",
    columns: ["id", "name", "type", "bits", "fingerprint", "comment", "createdBy", "createdAt"],
  },
  {
    words: ["ssh-keys", "add"],
    usage: "ssh-keys add --name N (--file ~/.ssh/id_ed25519.pub | --key 'ssh-ed25519 AAAA… me@laptop')",
    summary: "keep an SSH public key in the organization (ed25519, ECDSA, RSA of 2048+ bits)",
    method: "POST",
    path: () => "/ssh-keys",
    body: (a) => ({ name: need(a, "name"), publicKey: publicKey(a) }),
  },
  {
    words: ["ssh-keys", "remove"],
    usage: "ssh-keys remove SSH_KEY_ID",
    summary: "remove an SSH key (VMs launched with it keep it)",
    method: "DELETE",
    path: (a) => `/ssh-keys/${arg(a, 0, "SSH key id")}`,
  },
];
