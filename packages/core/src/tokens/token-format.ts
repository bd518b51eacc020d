import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { BASE62, randomBase62 } from "../ids.ts";

/**
 * API token secrets look like `nvi_<30 random base62><6 base62 of CRC32>`.
 * The prefix makes them recognisable (secret scanners, logs); the checksum lets
 * us refuse a mistyped or made-up token before touching the database.
 */
export const TOKEN_PREFIX = "nvi_";
export const TOKEN_RANDOM_LENGTH = 30;
export const TOKEN_CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH;
/** How many characters of a token the console shows to tell tokens apart. */
export const TOKEN_DISPLAY_LENGTH = TOKEN_PREFIX.length + 6;

const SHAPE = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH}}$`);

function encodeChecksum(value: number): string {
  let n = value >>> 0;
  let out = "";
  for (let i = 0; i < TOKEN_CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function checksumOf(prefixAndRandom: string): string {
  return encodeChecksum(crc32(prefixAndRandom));
}

export function mintTokenSecret(random: string = randomBase62(TOKEN_RANDOM_LENGTH)): string {
  const body = `${TOKEN_PREFIX}${random}`;
  return body + checksumOf(body);
}

export type TokenShapeProblem = "shape" | "checksum";

/** Checks prefix, length, alphabet and checksum. Pure: no database. */
export function checkTokenShape(secret: string): TokenShapeProblem | null {
  if (!SHAPE.test(secret)) return "shape";
  const body = secret.slice(0, TOKEN_PREFIX.length + TOKEN_RANDOM_LENGTH);
  return checksumOf(body) === secret.slice(body.length) ? null : "checksum";
}

/** SHA-256: tokens carry ~178 bits of randomness, so a fast hash is the right tool. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, TOKEN_DISPLAY_LENGTH);
}
