import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { BASE62, randomBase62 } from "../ids.ts";

/**
 * Every bearer secret we mint looks like `<prefix><30 random base62><6 base62 of CRC32>`:
 * `nvi_` API tokens, `nvj_` host join tokens, `nvh_` host credentials. The prefix
 * makes them recognisable (secret scanners, logs); the checksum lets us refuse a
 * mistyped or made-up secret before touching the database.
 */
export const TOKEN_RANDOM_LENGTH = 30;
export const TOKEN_CHECKSUM_LENGTH = 6;

export type TokenShapeProblem = "shape" | "checksum";

export interface SecretFormat {
  prefix: string;
  length: number;
  mint(random?: string): string;
  /** Prefix, length, alphabet and checksum. Pure: no database. */
  check(secret: string): TokenShapeProblem | null;
  /** Enough of the secret to tell secrets apart in a list, far too little to use. */
  display(secret: string): string;
}

function encodeChecksum(value: number): string {
  let n = value >>> 0;
  let out = "";
  for (let i = 0; i < TOKEN_CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function secretFormat(prefix: string): SecretFormat {
  const shape = new RegExp(`^${prefix}[0-9A-Za-z]{${TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH}}$`);
  const bodyLength = prefix.length + TOKEN_RANDOM_LENGTH;
  return {
    prefix,
    length: bodyLength + TOKEN_CHECKSUM_LENGTH,
    mint(random = randomBase62(TOKEN_RANDOM_LENGTH)) {
      const body = `${prefix}${random}`;
      return body + encodeChecksum(crc32(body));
    },
    check(secret) {
      if (!shape.test(secret)) return "shape";
      return encodeChecksum(crc32(secret.slice(0, bodyLength))) === secret.slice(bodyLength) ? null : "checksum";
    },
    display(secret) {
      return secret.slice(0, prefix.length + 6);
    },
  };
}

export const apiTokenFormat = secretFormat("nvi_");
export const joinTokenFormat = secretFormat("nvj_");
export const hostCredentialFormat = secretFormat("nvh_");

export const TOKEN_PREFIX = apiTokenFormat.prefix;
export const TOKEN_LENGTH = apiTokenFormat.length;
export const mintTokenSecret = (random?: string) => apiTokenFormat.mint(random);
export const checkTokenShape = (secret: string) => apiTokenFormat.check(secret);
export const displayPrefix = (secret: string) => apiTokenFormat.display(secret);

/** SHA-256: our secrets carry ~178 bits of randomness, so a fast hash is the right tool. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
