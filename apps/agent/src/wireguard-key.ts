import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * The host's WireGuard key (issue 15): made here, on the host, the first time it is needed, kept
 * in the state dir (0600) in WireGuard's own format (base64 of the 32 raw bytes, what
 * `wg set … private-key FILE` reads) and never sent anywhere. Only the public half goes into the
 * host's facts, for the console to hand to other gateways.
 */
export const WIREGUARD_KEY_FILE = "wireguard.key";

/** PKCS#8 DER of an X25519 private key is this prefix and the 32 raw bytes. */
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

const fromBase64Url = (s: string): Buffer => Buffer.from(s, "base64url");

/** The public key (base64) of a raw 32-byte X25519 private key given in base64. */
export function wireguardPublicOf(privateBase64: string): string {
  const raw = Buffer.from(privateBase64, "base64");
  if (raw.length !== 32) throw new Error("a WireGuard private key is 32 bytes in base64");
  const key = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: "der", type: "pkcs8" });
  const x = createPublicKey(key).export({ format: "jwk" }).x;
  if (!x) throw new Error("no public key");
  return fromBase64Url(x).toString("base64");
}

/** Loads the host's key, making one (0600) if there is none; answers its public half only. */
export async function wireguardPublicKey(stateDir: string): Promise<string> {
  const file = path.join(stateDir, WIREGUARD_KEY_FILE);
  const existing = await readFile(file, "utf8").catch(() => null);
  if (existing !== null) return wireguardPublicOf(existing.trim());
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("x25519");
  const d = privateKey.export({ format: "jwk" }).d;
  if (!d) throw new Error("no private key");
  const privateBase64 = fromBase64Url(d).toString("base64");
  // exclusive create: two starts racing keep one key
  await writeFile(file, `${privateBase64}\n`, { mode: 0o600, flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== "EEXIST") throw e;
  });
  return wireguardPublicOf((await readFile(file, "utf8")).trim());
}
