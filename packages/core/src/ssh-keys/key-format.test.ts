import { describe, expect, it } from "vitest";
import { TEST_SSH_KEYS } from "../test-support/ssh-keys.ts";
import { parseSshPublicKey } from "./key-format.ts";

const body = (line: string): string => line.split(" ")[1]!;
const blobOf = (line: string): Buffer => Buffer.from(body(line), "base64");
/** An SSH wire string: 4-byte length, then the bytes. */
const sshString = (b: Buffer | string): Buffer => {
  const bytes = typeof b === "string" ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
};
const problemOf = (line: string): string => {
  const parsed = parseSshPublicKey(line);
  return "problem" in parsed ? parsed.problem : "accepted";
};

describe("reading an OpenSSH public key", () => {
  it("accepts ed25519, the three ECDSA curves and RSA ≥ 2048 bits, with ssh-keygen's fingerprint and bits", () => {
    for (const name of ["ed25519A", "ecdsa256", "ecdsa384", "ecdsa521", "rsa2048", "rsa4096"] as const) {
      const key = TEST_SSH_KEYS[name];
      const parsed = parseSshPublicKey(`  ${key.line}\n`);
      expect(parsed, name).toMatchObject({ fingerprint: key.fingerprint, bits: key.bits, line: key.line });
    }
    expect(parseSshPublicKey(TEST_SSH_KEYS.ed25519A.line)).toMatchObject({ type: "ssh-ed25519", comment: "a@test" });
  });

  it("keeps a key without a comment, and folds a comment's inner whitespace to single spaces", () => {
    const [type, b64] = TEST_SSH_KEYS.ed25519B.line.split(" ");
    expect(parseSshPublicKey(`${type} ${b64}`)).toMatchObject({ comment: null, line: `${type} ${b64}` });
    expect(parseSshPublicKey(`${type}\t${b64}  laptop\tof  ann`)).toMatchObject({
      comment: "laptop of ann",
      line: `${type} ${b64} laptop of ann`,
    });
  });

  it("refuses RSA under 2048 bits, saying how many it has", () => {
    expect(problemOf(TEST_SSH_KEYS.rsa1024.line)).toBe("an RSA key needs at least 2048 bits (this one has 1024)");
  });

  it("refuses a line whose type and the type inside its body differ", () => {
    expect(problemOf(`ssh-rsa ${body(TEST_SSH_KEYS.ed25519A.line)}`)).toBe(
      'the key\'s body says it is "ssh-ed25519", not ssh-rsa',
    );
    expect(problemOf(`ecdsa-sha2-nistp384 ${body(TEST_SSH_KEYS.ecdsa256.line)}`)).toMatch(/not ecdsa-sha2-nistp384$/);
  });

  it("refuses types it does not take: DSA, security keys, authorized_keys options before the key", () => {
    expect(problemOf(`ssh-dss ${body(TEST_SSH_KEYS.ed25519A.line)}`)).toMatch(/^the key type must be one of/);
    expect(problemOf(`sk-ssh-ed25519@openssh.com ${body(TEST_SSH_KEYS.ed25519A.line)}`)).toMatch(
      /security-key types are not accepted/,
    );
    expect(problemOf(`command="/bin/sh" ${TEST_SSH_KEYS.ed25519A.line}`)).toMatch(/^the key type must be one of/);
  });

  it("refuses a body that is not exact base64, is cut short, or carries bytes after the key", () => {
    const ed = TEST_SSH_KEYS.ed25519A.line;
    expect(problemOf(`ssh-ed25519 AAAA!!!!`)).toBe("the key's body is not base64");
    expect(problemOf(`ssh-ed25519 ${body(ed).slice(0, -1)}`)).toBe("the key's body is not base64");
    const short = blobOf(ed).subarray(0, 40).toString("base64");
    expect(problemOf(`ssh-ed25519 ${short}`)).toBe("an ed25519 key is 32 bytes");
    const longer = Buffer.concat([blobOf(ed), sshString("x")]).toString("base64");
    expect(problemOf(`ssh-ed25519 ${longer}`)).toBe("the key's body has bytes after the key");
    expect(problemOf("ssh-ed25519")).toMatch(/^expected `<type> <base64> \[comment\]`/);
  });

  it("refuses an ECDSA key whose curve or point is not the named one", () => {
    const point = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]);
    const wrongCurve = Buffer.concat([sshString("ecdsa-sha2-nistp256"), sshString("nistp384"), sshString(point)]);
    expect(problemOf(`ecdsa-sha2-nistp256 ${wrongCurve.toString("base64")}`)).toBe("the key's curve is not nistp256");
    const compressed = Buffer.concat([
      sshString("ecdsa-sha2-nistp256"),
      sshString("nistp256"),
      sshString(Buffer.alloc(33, 2)),
    ]);
    expect(problemOf(`ecdsa-sha2-nistp256 ${compressed.toString("base64")}`)).toBe("the nistp256 point is malformed");
  });

  it("refuses control characters in the comment, a second line, and an oversize line", () => {
    expect(problemOf(`${TEST_SSH_KEYS.ed25519A.line}\u0007bell`)).toBe("the comment holds control characters");
    expect(problemOf(`${TEST_SSH_KEYS.ed25519A.line} evil\u202Etxt`)).toBe("the comment holds control characters");
    expect(problemOf(`${TEST_SSH_KEYS.ed25519A.line}\n${TEST_SSH_KEYS.ed25519B.line}`)).toBe("one key, on one line");
    expect(problemOf(`${TEST_SSH_KEYS.ed25519A.line} ${"x".repeat(201)}`)).toBe(
      "the comment is at most 200 characters",
    );
    expect(problemOf(`${TEST_SSH_KEYS.ed25519A.line} ${"x".repeat(9000)}`)).toBe(
      "a public key is at most 8192 characters",
    );
  });
});
