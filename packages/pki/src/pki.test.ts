import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createAuthority,
  createKeyAndCsr,
  issueWithKey,
  normalizeSerial,
  signRequest,
  switchIdentityOf,
} from "./pki.ts";

const now = new Date("2026-12-01T00:00:00Z");

describe("the fabric CA", () => {
  it("signs a CSR into a client certificate naming the host and datapath the caller says, not the CSR's subject", async () => {
    const ca = await createAuthority({ name: "NVI fabric CA", now, days: 3650 });
    const { csrPem, keyPem } = await createKeyAndCsr("host_attacker");
    const issued = await signRequest(
      ca,
      csrPem,
      { kind: "switch", hostId: "host_1", datapathId: "00004e5649000001" },
      { now, days: 30 },
    );
    const cert = new X509Certificate(issued.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.subject).toBe("CN=host_1");
    expect(switchIdentityOf(cert.subjectAltName)).toEqual({ hostId: "host_1", datapathId: "00004e5649000001" });
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(normalizeSerial(cert.serialNumber)).toBe(issued.serial);
    expect(cert.validTo).toContain("Dec 31");
    expect(cert.ca).toBe(false);
    expect(caCert.ca).toBe(true);
    expect(keyPem).toContain("BEGIN PRIVATE KEY");
  });

  it("refuses a CSR whose signature does not verify (no proof of the private key) and garbage", async () => {
    const ca = await createAuthority({ name: "ca", now, days: 10 });
    const { csrPem } = await createKeyAndCsr("x");
    const body = Buffer.from(csrPem.replace(/-----[^-]+-----/g, "").replace(/\s/g, ""), "base64");
    body[body.length - 5] = (body[body.length - 5] ?? 0) ^ 0xff;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${body.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    const subject = { kind: "switch", hostId: "h", datapathId: "0000000000000001" } as const;
    await expect(signRequest(ca, tampered, subject, { now, days: 1 })).rejects.toThrow();
    await expect(signRequest(ca, "not a csr", subject, { now, days: 1 })).rejects.toThrow(/PKCS#10/);
  });

  it("makes server certificates for listeners (server auth only) with their addresses", async () => {
    const ca = await createAuthority({ name: "ca", now, days: 10 });
    const tsc = await issueWithKey(
      ca,
      { kind: "server", name: "nvi-tsc", ipAddresses: ["198.18.0.1"], dnsNames: ["localhost"] },
      { now, days: 30 },
    );
    const cert = new X509Certificate(tsc.certPem);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.checkIP("198.18.0.1")).toBe("198.18.0.1");
    expect(cert.checkHost("localhost")).toBe("localhost");
    expect(switchIdentityOf(cert.subjectAltName)).toBeNull();
  });

  it("reads a switch identity only when it is unambiguous", () => {
    expect(switchIdentityOf("URI:nvi:host:a, URI:nvi:datapath:0000000000000001, URI:nvi:host:b")).toBeNull();
    expect(switchIdentityOf("URI:nvi:host:a, URI:nvi:datapath:xyz")).toBeNull();
    expect(switchIdentityOf(undefined)).toBeNull();
    expect(normalizeSerial("00:0A:bc")).toBe("abc");
  });
});
