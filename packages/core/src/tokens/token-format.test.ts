import { describe, expect, it } from "vitest";
import { TOKEN_LENGTH, checkTokenShape, displayPrefix, hashSecret, mintTokenSecret } from "./token-format.ts";

describe("API token format", () => {
  it("mints tokens that pass their own checks", () => {
    for (let i = 0; i < 200; i++) {
      const token = mintTokenSecret();
      expect(token).toMatch(/^nvi_[0-9A-Za-z]{36}$/);
      expect(token).toHaveLength(TOKEN_LENGTH);
      expect(checkTokenShape(token)).toBeNull();
    }
  });

  it("is deterministic for a given random part", () => {
    const random = "a".repeat(30);
    expect(mintTokenSecret(random)).toBe(mintTokenSecret(random));
  });

  it("catches every single-character typo in the random part", () => {
    const token = mintTokenSecret("AbCdEfGhIjKlMnOpQrStUvWxYz0123");
    for (let i = 4; i < 34; i++) {
      const ch = token[i] === "x" ? "y" : "x";
      const typo = token.slice(0, i) + ch + token.slice(i + 1);
      expect(checkTokenShape(typo)).toBe("checksum");
    }
  });

  it("refuses wrong prefix, length and alphabet before any lookup", () => {
    const token = mintTokenSecret();
    expect(checkTokenShape("")).toBe("shape");
    expect(checkTokenShape(token.replace("nvi_", "nvx_"))).toBe("shape");
    expect(checkTokenShape(token.slice(0, -1))).toBe("shape");
    expect(checkTokenShape(`${token}a`)).toBe("shape");
    expect(checkTokenShape(`${token.slice(0, 10)}-${token.slice(11)}`)).toBe("shape");
    expect(checkTokenShape(`Bearer ${token}`)).toBe("shape");
  });

  it("hashes to a stable hex digest and shows only a short prefix", () => {
    const token = mintTokenSecret();
    expect(hashSecret(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret(token)).toBe(hashSecret(token));
    expect(displayPrefix(token)).toBe(token.slice(0, 10));
    expect(displayPrefix(token).length).toBeLessThan(token.length / 3);
  });
});

describe("other secret formats", () => {
  it("join tokens and host credentials have their own prefixes and never pass for each other", async () => {
    const { apiTokenFormat, hostCredentialFormat, joinTokenFormat } = await import("./token-format.ts");
    const join = joinTokenFormat.mint();
    const cred = hostCredentialFormat.mint();
    expect(join).toMatch(/^nvj_/);
    expect(cred).toMatch(/^nvh_/);
    expect(joinTokenFormat.check(join)).toBeNull();
    expect(hostCredentialFormat.check(cred)).toBeNull();
    expect(apiTokenFormat.check(join)).toBe("shape");
    expect(joinTokenFormat.check(cred)).toBe("shape");
    expect(hostCredentialFormat.check(`nvh_${join.slice(4)}`)).toBe("checksum");
  });
});
