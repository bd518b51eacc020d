import { randomBytes } from "node:crypto";
import { ID_BODY_LENGTH, ID_PREFIXES, type IdKind } from "@nvi/contracts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Uniform base62 string from the CSPRNG (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export type IdGenerator = (kind: IdKind) => string;

export const newId: IdGenerator = (kind) => `${ID_PREFIXES[kind]}_${randomBase62(ID_BODY_LENGTH)}`;

export { BASE62 };
