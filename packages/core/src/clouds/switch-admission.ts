import { HostFacts } from "@nvi/contracts";
import type { CoreDeps } from "../context.ts";
import { authorityIdFor } from "./fabric-ca.ts";

/** Postgres channel a host's removal is announced on (payload: the host id); the worker drops its OpenFlow session. */
export const HOST_REMOVED_CHANNEL = "nvi_host_removed";

/** What a connecting switch claims: the datapath id of its FEATURES_REPLY and, over mutual TLS, what its certificate names. */
export interface SwitchClaim {
  /** 16 lower-case hex digits */
  datapathId: string;
  certificate: { hostId: string; datapathId: string; serial: string } | null;
}

export type Admission = { admitted: true; hostId: string } | { admitted: false; reason: string };

/**
 * Claims are not facts: the TSC serves a switch only when the console says so. Over mutual TLS the
 * certificate must be the host's current one (its serial, from this CA, for this datapath id), and
 * the host must still exist with that datapath id. Over plain TCP (the development setting) only the
 * datapath id is there to go by: a host must hold it. Anything else gets nothing.
 */
export async function admitSwitch(deps: CoreDeps, claim: SwitchClaim): Promise<Admission> {
  const cert = claim.certificate;
  if (!cert) {
    const hosts = await deps.db.host.findMany({ where: { facts: { path: ["datapathId"], equals: claim.datapathId } }, select: { id: true }, take: 2 });
    const [host] = hosts;
    if (!host) return { admitted: false, reason: "no host holds this datapath id" };
    if (hosts.length > 1) return { admitted: false, reason: "more than one host claims this datapath id" };
    return { admitted: true, hostId: host.id };
  }
  if (cert.datapathId !== claim.datapathId) return { admitted: false, reason: `the certificate names datapath ${cert.datapathId}, the switch says ${claim.datapathId}` };
  const row = await deps.db.hostCertificate.findUnique({ where: { hostId: cert.hostId }, select: { authorityId: true, serial: true, datapathId: true, host: { select: { facts: true } } } });
  if (!row) return { admitted: false, reason: "the certificate's host is removed or has no certificate on record" };
  if (deps.fabricSecret && row.authorityId !== authorityIdFor(deps.fabricSecret)) return { admitted: false, reason: "the host's certificate is from another CA" };
  if (row.serial !== cert.serial) return { admitted: false, reason: "the certificate was replaced (renewed): an old certificate" };
  if (row.datapathId !== claim.datapathId) return { admitted: false, reason: "the certificate on record names another datapath id" };
  const facts = HostFacts.safeParse(row.host.facts);
  if (!facts.success || facts.data.datapathId !== claim.datapathId) return { admitted: false, reason: "the host's datapath id is not this one" };
  return { admitted: true, hostId: cert.hostId };
}
