import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

/**
 * The fabric's X.509 toolkit, pure (no storage): a certificate authority, certificates for switches
 * (naming a host id and a datapath id), for the TSC and for the console's agent listener, and the
 * key + CSR an agent makes on its host. ECDSA P-256 everywhere; keys are PKCS#8 PEM, which Open
 * vSwitch (`ovs-vsctl set-ssl`) and Node's `tls` both read. Built on WebCrypto + @peculiar/x509 so
 * the CA key is only ever in this process's memory (no openssl child, no temporary key file).
 */
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

/** How a switch certificate names its host and datapath (subjectAltName URIs). */
export const HOST_URI = "nvi:host:";
export const DATAPATH_URI = "nvi:datapath:";

export interface Authority {
  /** the CA certificate, PEM (what every switch and the TSC trust) */
  certPem: string;
  /** the CA private key, PKCS#8 PEM (the caller keeps it encrypted at rest) */
  keyPem: string;
}

export interface KeyAndCsr {
  keyPem: string;
  csrPem: string;
}

export interface Issued {
  certPem: string;
  /** lower-case hex, no leading zeros: what Node's `getPeerCertificate().serialNumber` shows, normalised */
  serial: string;
  notAfter: Date;
}

/** A positive 128-bit serial whose first byte is never 0 (so hex forms agree everywhere). */
function newSerial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 1) & 0x7f) | 0x01;
  return b.toString("hex");
}

export function normalizeSerial(serial: string): string {
  return serial
    .toLowerCase()
    .replace(/[^0-9a-f]/g, "")
    .replace(/^0+(?=.)/, "");
}

function keysPem(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
}

async function importCa(authority: Authority): Promise<{ cert: x509.X509Certificate; key: webcrypto.CryptoKey }> {
  const cert = new x509.X509Certificate(authority.certPem);
  const der = x509.PemConverter.decodeFirst(authority.keyPem);
  const key = await webcrypto.subtle.importKey("pkcs8", der, ALG, false, ["sign"]);
  return { cert, key };
}

/** A new certificate authority (self-signed, may sign leaf certificates only). */
export async function createAuthority(options: { name: string; now: Date; days: number }): Promise<Authority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: `CN=${options.name}`,
    notBefore: new Date(options.now.getTime() - 60_000),
    notAfter: new Date(options.now.getTime() + options.days * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: keysPem(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)) };
}

/** What a leaf certificate is for: a switch (TLS client) or a listener (TLS server). */
export type LeafSubject =
  | { kind: "switch"; hostId: string; datapathId: string }
  | { kind: "server"; name: string; dnsNames?: string[]; ipAddresses?: string[] };

/**
 * Signs a leaf certificate for `publicKey` (from a CSR or made here). A switch certificate is for
 * client authentication only, so it can never pose as the TSC to another switch; a server
 * certificate is for server authentication only.
 */
async function signLeaf(
  authority: Authority,
  publicKey: webcrypto.CryptoKey | x509.PublicKey,
  subject: LeafSubject,
  options: { now: Date; days: number },
): Promise<Issued> {
  const ca = await importCa(authority);
  const serial = newSerial();
  const notAfter = new Date(options.now.getTime() + options.days * DAY_MS);
  const names: x509.JsonGeneralName[] =
    subject.kind === "switch"
      ? [
          { type: "url", value: `${HOST_URI}${subject.hostId}` },
          { type: "url", value: `${DATAPATH_URI}${subject.datapathId}` },
        ]
      : [
          ...(subject.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
          ...(subject.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
        ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${subject.kind === "switch" ? subject.hostId : subject.name}`,
    issuer: ca.cert.subject,
    notBefore: new Date(options.now.getTime() - 60_000),
    notAfter,
    publicKey,
    signingKey: ca.key,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension(
        [subject.kind === "switch" ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth],
        false,
      ),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
  return { certPem: cert.toString("pem"), serial: normalizeSerial(serial), notAfter };
}

/**
 * Signs a CSR. Only the CSR's public key is used, after checking the CSR's own signature (the
 * requester holds the private key); its subject and extensions are ignored: the caller says whom
 * the certificate names.
 */
export async function signRequest(
  authority: Authority,
  csrPem: string,
  subject: LeafSubject,
  options: { now: Date; days: number },
): Promise<Issued> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new Error("the certificate request is not a PKCS#10 CSR in PEM");
  }
  if (!(await csr.verify())) throw new Error("the certificate request's signature does not verify");
  const algorithm = csr.publicKey.algorithm as webcrypto.EcKeyAlgorithm;
  if (algorithm.name !== "ECDSA" || algorithm.namedCurve !== "P-256")
    throw new Error("the certificate request must hold an ECDSA P-256 key");
  return signLeaf(authority, csr.publicKey, subject, options);
}

/** A key made here and a certificate for it (the TSC's and the console's own listeners, and the lab's switches). */
export async function issueWithKey(
  authority: Authority,
  subject: LeafSubject,
  options: { now: Date; days: number },
): Promise<Issued & { keyPem: string }> {
  const keys = await newKeys();
  const issued = await signLeaf(authority, keys.publicKey, subject, options);
  return { ...issued, keyPem: keysPem(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)) };
}

/** What an agent does on its host: a fresh private key (it never leaves the host) and a CSR for it. */
export async function createKeyAndCsr(commonName: string): Promise<KeyAndCsr> {
  const keys = await newKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, "_")}`,
    keys,
    signingAlgorithm: ALG,
  });
  return { keyPem: keysPem(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)), csrPem: csr.toString("pem") };
}

/** The host and datapath a switch certificate names (from Node's `subjectaltname` string, e.g. "URI:nvi:host:host_1, URI:…"). */
export function switchIdentityOf(subjectAltName: string | undefined): { hostId: string; datapathId: string } | null {
  const uris = (subjectAltName ?? "").split(/,\s*/).flatMap((s) => (s.startsWith("URI:") ? [s.slice(4)] : []));
  const hosts = uris.filter((u) => u.startsWith(HOST_URI)).map((u) => u.slice(HOST_URI.length));
  const dpids = uris.filter((u) => u.startsWith(DATAPATH_URI)).map((u) => u.slice(DATAPATH_URI.length));
  const [hostId] = hosts;
  const [datapathId] = dpids;
  if (hosts.length !== 1 || dpids.length !== 1 || !hostId || !datapathId || !/^[0-9a-f]{16}$/.test(datapathId))
    return null;
  return { hostId, datapathId };
}

/** When a certificate (PEM) stops being valid; null if it cannot be read. */
export function notAfterOf(certPem: string): Date | null {
  try {
    return new x509.X509Certificate(certPem).notAfter;
  } catch {
    return null;
  }
}
