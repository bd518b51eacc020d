import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { WireguardPublicKey } from "@nvi/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { WIREGUARD_KEY_FILE, wireguardPublicKey, wireguardPublicOf } from "./wireguard-key.ts";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the host's WireGuard key", () => {
  it("derives X25519 public keys exactly (RFC 7748 §6.1 test vector)", () => {
    const priv = Buffer.from("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "hex");
    expect(Buffer.from(wireguardPublicOf(priv.toString("base64")), "base64").toString("hex")).toBe(
      "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
    );
  });

  it("is made once on the host (0600, WireGuard's file format) and only its public half is answered", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-wg-"));
    const pub = await wireguardPublicKey(dir);
    expect(WireguardPublicKey.safeParse(pub).success).toBe(true);
    const file = path.join(dir, WIREGUARD_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const priv = (await readFile(file, "utf8")).trim();
    expect(Buffer.from(priv, "base64")).toHaveLength(32);
    expect(pub).not.toBe(priv);
    expect(await wireguardPublicKey(dir)).toBe(pub);
  });
});
