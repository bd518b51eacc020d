import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { FabricCertificate } from "@nvi/contracts";
import { isUniqueViolation, type DbTx } from "@nvi/db";
import { createAuthority, issueWithKey, signRequest, type Authority, type LeafSubject } from "@nvi/pki";
import type { CoreDeps } from "../context.ts";
import { DomainError } from "../errors.ts";

/**
 * The console is the fabric's certificate authority (OpenFlow mutual TLS, issue 13). The CA is made
 * once, on first use, and kept in Postgres: its certificate in `fabric_authorities`, its private key
 * in its own row (`fabric_authority_keys`), AES-256-GCM encrypted under a key derived (HKDF) from the
 * fabric secret (FABRIC_CA_SECRET, else AUTH_SECRET). The row id is derived from the same secret, so
 * the console and the worker, given the same secret, find the same CA; a new secret means a new CA
 * (hosts are asked for new CSRs: `certificateWanted`). The key is never logged and never leaves
 * this module decrypted.
 */
export const CA_DAYS = 3650;
/** A switch certificate lives 30 days; the agent renews after 20 (and with every credential rotation). */
export const SWITCH_CERT_DAYS = 30;
export const RENEW_BEFORE_MS = 10 * 86_400_000;

export interface FabricAuthority {
  id: string;
  certPem: string;
  /** only for signing, inside this process */
  authority: Authority;
}

function derive(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "nvi fabric ca", info, 32));
}

function secretOf(deps: CoreDeps): string {
  const secret = deps.fabricSecret;
  if (!secret || secret.length < 32)
    throw new Error("the fabric CA needs a secret of at least 32 characters (FABRIC_CA_SECRET or AUTH_SECRET)");
  return secret;
}

/** The CA's row id for a secret (derived with its own HKDF label: reveals nothing of the key). */
export function authorityIdFor(secret: string): string {
  return `fca_${derive(secret, "authority id").subarray(0, 12).toString("hex")}`;
}

function seal(secret: string, id: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", derive(secret, "authority key encryption"), iv);
  cipher.setAAD(Buffer.from(id));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

function open(secret: string, id: string, sealed: string): string {
  const raw = Buffer.from(sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", derive(secret, "authority key encryption"), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(id));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  } catch {
    throw new Error(`the fabric CA key ${id} cannot be decrypted with the configured secret`);
  }
}

/** The fabric CA for the configured secret, made (once, race-safe) when there is none. */
export async function fabricAuthority(deps: CoreDeps): Promise<FabricAuthority> {
  const secret = secretOf(deps);
  const id = authorityIdFor(secret);
  const read = async (): Promise<FabricAuthority | null> => {
    const row = await deps.db.fabricAuthority.findUnique({
      where: { id },
      select: { id: true, certPem: true, key: { select: { encryptedKey: true } } },
    });
    if (!row?.key) return null;
    return {
      id,
      certPem: row.certPem,
      authority: { certPem: row.certPem, keyPem: open(secret, id, row.key.encryptedKey) },
    };
  };
  const found = await read();
  if (found) return found;
  const made = await createAuthority({ name: `NVI fabric CA ${id.slice(4, 12)}`, now: deps.clock(), days: CA_DAYS });
  try {
    await deps.db.fabricAuthority.create({
      data: {
        id,
        certPem: made.certPem,
        createdAt: deps.clock(),
        key: { create: { encryptedKey: seal(secret, id, made.keyPem) } },
      },
    });
    return { id, certPem: made.certPem, authority: made };
  } catch (error) {
    // another process made it first: use theirs
    if (!isUniqueViolation(error)) throw error;
    const theirs = await read();
    if (!theirs) throw error;
    return theirs;
  }
}

/** A signed switch certificate and the row that makes it the host's only accepted one. */
export interface SignedHostCertificate {
  certificate: FabricCertificate;
  record: { authorityId: string; serial: string; datapathId: string; issuedAt: Date; notAfter: Date };
}

/**
 * Signs a host's CSR into its switch certificate, naming the host id and the datapath id the
 * console holds for it. A CSR that does not verify (or no datapath id) is refused with 400. Nothing
 * is stored: `recordHostCertificate` makes it the host's (in the caller's transaction).
 */
export async function signHostCertificate(
  deps: CoreDeps,
  host: { id: string; datapathId: string | null },
  csrPem: string,
): Promise<SignedHostCertificate> {
  if (!host.datapathId)
    throw new DomainError(
      "VALIDATION_FAILED",
      "a switch certificate names the datapath id: report it with the facts (NVI_CONTROLLER)",
      { field: "csr" },
    );
  const datapathId = host.datapathId;
  const ca = await fabricAuthority(deps);
  const now = deps.clock();
  const issued = await signRequest(
    ca.authority,
    csrPem,
    { kind: "switch", hostId: host.id, datapathId },
    { now, days: SWITCH_CERT_DAYS },
  ).catch((e: unknown) => {
    throw new DomainError(
      "VALIDATION_FAILED",
      `certificate request refused: ${e instanceof Error ? e.message : String(e)}`,
      { field: "csr" },
    );
  });
  return {
    certificate: { cert: issued.certPem, caCert: ca.certPem, notAfter: issued.notAfter.toISOString() },
    record: { authorityId: ca.id, serial: issued.serial, datapathId, issuedAt: now, notAfter: issued.notAfter },
  };
}

/** Makes a signed certificate the host's only accepted one: the previous serial is refused by the TSC from now on. */
export async function recordHostCertificate(
  db: Pick<DbTx, "hostCertificate">,
  hostId: string,
  signed: SignedHostCertificate,
): Promise<void> {
  await db.hostCertificate.upsert({ where: { hostId }, create: { hostId, ...signed.record }, update: signed.record });
}

/** Signs and records at once (a heartbeat's CSR). */
export async function issueHostCertificate(
  deps: CoreDeps,
  host: { id: string; datapathId: string | null },
  csrPem: string,
): Promise<FabricCertificate> {
  const signed = await signHostCertificate(deps, host, csrPem);
  await recordHostCertificate(deps.db, host.id, signed);
  return signed.certificate;
}

/** A listener's own certificate and key from the fabric CA (the TSC; the console's HTTPS listener for agents). */
export async function issueServerCertificate(
  deps: CoreDeps,
  subject: Omit<Extract<LeafSubject, { kind: "server" }>, "kind">,
  days = SWITCH_CERT_DAYS,
): Promise<{ key: string; cert: string; ca: string; notAfter: Date }> {
  const ca = await fabricAuthority(deps);
  const issued = await issueWithKey(ca.authority, { kind: "server", ...subject }, { now: deps.clock(), days });
  return { key: issued.keyPem, cert: issued.certPem, ca: ca.certPem, notAfter: issued.notAfter };
}

/** Whether a heartbeat should ask the agent for a new CSR: no certificate, another CA or datapath id, or renewal due. */
export async function certificateWanted(
  deps: CoreDeps,
  host: { id: string; datapathId: string | null },
): Promise<boolean> {
  if (!host.datapathId || !deps.fabricSecret) return false;
  const row = await deps.db.hostCertificate.findUnique({
    where: { hostId: host.id },
    select: { authorityId: true, datapathId: true, notAfter: true },
  });
  if (!row) return true;
  return (
    row.authorityId !== authorityIdFor(secretOf(deps)) ||
    row.datapathId !== host.datapathId ||
    row.notAfter.getTime() - deps.clock().getTime() < RENEW_BEFORE_MS
  );
}
