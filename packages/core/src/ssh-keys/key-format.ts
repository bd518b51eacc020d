import { createHash } from "node:crypto";
import {
  SSH_KEY_MAX_CHARS,
  SSH_KEY_MAX_COMMENT_CHARS,
  SSH_KEY_TYPES,
  SSH_RSA_MIN_BITS,
  type SshKeyType,
} from "@nvi/contracts";

/**
 * Reading an OpenSSH public key line (`<type> <base64> [comment]`, as `authorized_keys` and a
 * `.pub` file hold it) the strict way: the type is one we accept, the base64 decodes exactly, the
 * type embedded in the decoded blob is the one the line names, the blob holds a well-formed key of
 * that type and nothing after it, RSA has at least 2048 bits, and the comment holds no control
 * characters. Pure (no I/O); the result carries what the console shows and stores.
 */
export interface ParsedSshKey {
  type: SshKeyType;
  bits: number;
  /** `SHA256:` + unpadded base64 of the blob's SHA-256, as `ssh-keygen -l` prints it */
  fingerprint: string;
  comment: string | null;
  /** the line as stored and handed to guests: `<type> <base64>[ <comment>]`, single spaces */
  line: string;
}

export type SshKeyProblem = { problem: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** control and format characters (newlines, NUL, bidi overrides): nothing a comment needs */
const CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const RSA_MAX_BITS = 16_384;

const CURVES: Record<string, { curve: string; bits: number; pointBytes: number }> = {
  "ecdsa-sha2-nistp256": { curve: "nistp256", bits: 256, pointBytes: 65 },
  "ecdsa-sha2-nistp384": { curve: "nistp384", bits: 384, pointBytes: 97 },
  "ecdsa-sha2-nistp521": { curve: "nistp521", bits: 521, pointBytes: 133 },
};

/** The SSH wire format's length-prefixed strings, read one after another. */
class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  string(): Buffer | null {
    if (this.at + 4 > this.buf.length) return null;
    const len = this.buf.readUInt32BE(this.at);
    if (this.at + 4 + len > this.buf.length) return null;
    const out = this.buf.subarray(this.at + 4, this.at + 4 + len);
    this.at += 4 + len;
    return out;
  }
  get done(): boolean {
    return this.at === this.buf.length;
  }
}

/** Bits of a positive mpint (SSH's big-endian two's complement, a leading 0 byte when the top bit is set). */
function mpintBits(n: Buffer): number | null {
  if (n.length === 0 || (n[0]! & 0x80) !== 0) return null; // empty or negative
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i > 1 || (i === 1 && n.length > 1 && (n[1]! & 0x80) === 0)) return null; // not minimal
  if (i === n.length) return null; // zero
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
}

/** The key's bits, or why the blob's body is not a key of `type`. */
function keyBits(type: SshKeyType, r: Reader): number | string {
  if (type === "ssh-ed25519") {
    const pk = r.string();
    return pk?.length === 32 ? 256 : "an ed25519 key is 32 bytes";
  }
  if (type === "ssh-rsa") {
    const e = r.string();
    const n = r.string();
    const eBits = e ? mpintBits(e) : null;
    const nBits = n ? mpintBits(n) : null;
    if (eBits === null || nBits === null || eBits > 64) return "the RSA exponent or modulus is malformed";
    if (nBits < SSH_RSA_MIN_BITS) return `an RSA key needs at least ${SSH_RSA_MIN_BITS} bits (this one has ${nBits})`;
    if (nBits > RSA_MAX_BITS) return `an RSA key of more than ${RSA_MAX_BITS} bits is not accepted`;
    return nBits;
  }
  const curve = CURVES[type]!;
  const name = r.string();
  const point = r.string();
  if (name?.toString("latin1") !== curve.curve) return `the key's curve is not ${curve.curve}`;
  if (point?.length !== curve.pointBytes || point[0] !== 0x04) return `the ${curve.curve} point is malformed`;
  return curve.bits;
}

export function parseSshPublicKey(text: string): ParsedSshKey | SshKeyProblem {
  if (text.length > SSH_KEY_MAX_CHARS) return { problem: `a public key is at most ${SSH_KEY_MAX_CHARS} characters` };
  const line = text.trim();
  if (/[\r\n]/.test(line)) return { problem: "one key, on one line" };
  const [type, body, ...rest] = line.split(/[ \t]+/);
  if (!type || !body) return { problem: "expected `<type> <base64> [comment]`, as in a .pub file" };
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type))
    return {
      problem: `the key type must be one of ${SSH_KEY_TYPES.join(", ")} (got "${type.slice(0, 40)}"${
        type.startsWith("sk-") ? "; security-key types are not accepted" : ""
      })`,
    };
  const keyType = type as SshKeyType;
  if (!BASE64.test(body) || body.length % 4 !== 0) return { problem: "the key's body is not base64" };
  const blob = Buffer.from(body, "base64");
  if (blob.toString("base64") !== body) return { problem: "the key's body is not base64" };
  const r = new Reader(blob);
  const embedded = r.string()?.toString("latin1");
  if (embedded !== keyType)
    return {
      problem: `the key's body says it is ${embedded ? `"${embedded.slice(0, 40)}"` : "nothing readable"}, not ${keyType}`,
    };
  const bits = keyBits(keyType, r);
  if (typeof bits === "string") return { problem: bits };
  if (!r.done) return { problem: "the key's body has bytes after the key" };
  const comment = rest.join(" ");
  if (CONTROL.test(comment)) return { problem: "the comment holds control characters" };
  if (comment.length > SSH_KEY_MAX_COMMENT_CHARS)
    return { problem: `the comment is at most ${SSH_KEY_MAX_COMMENT_CHARS} characters` };
  const fingerprint = `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
  return {
    type: keyType,
    bits,
    fingerprint,
    comment: comment || null,
    line: comment ? `${type} ${body} ${comment}` : `${type} ${body}`,
  };
}
