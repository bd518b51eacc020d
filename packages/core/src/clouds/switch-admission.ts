import { listenChannel } from "@nvi/db";
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
 * the host must still exist with that approved datapath id (host-identity.ts). Over plain TCP (the development setting) only the
 * datapath id is there to go by: a host must hold it. Anything else gets nothing.
 */
export async function admitSwitch(deps: CoreDeps, claim: SwitchClaim): Promise<Admission> {
  const cert = claim.certificate;
  if (!cert) {
    // the approved datapath id is unique console-wide (host-identity.ts): at most one host holds it
    const host = await deps.db.host.findUnique({ where: { datapathId: claim.datapathId }, select: { id: true } });
    if (!host) return { admitted: false, reason: "no host holds this datapath id" };
    return { admitted: true, hostId: host.id };
  }
  if (cert.datapathId !== claim.datapathId)
    return {
      admitted: false,
      reason: `the certificate names datapath ${cert.datapathId}, the switch says ${claim.datapathId}`,
    };
  const row = await deps.db.hostCertificate.findUnique({
    where: { hostId: cert.hostId },
    select: { authorityId: true, serial: true, datapathId: true, host: { select: { datapathId: true } } },
  });
  if (!row) return { admitted: false, reason: "the certificate's host is removed or has no certificate on record" };
  if (deps.fabricSecret && row.authorityId !== authorityIdFor(deps.fabricSecret))
    return { admitted: false, reason: "the host's certificate is from another CA" };
  if (row.serial !== cert.serial)
    return { admitted: false, reason: "the certificate was replaced (renewed): an old certificate" };
  if (row.datapathId !== claim.datapathId)
    return { admitted: false, reason: "the certificate on record names another datapath id" };
  if (row.host.datapathId !== claim.datapathId)
    return { admitted: false, reason: "the host's approved datapath id is not this one" };
  return { admitted: true, hostId: cert.hostId };
}

/** Calls `onRemoved(hostId)` as each host is removed (announced by `removeHost` on HOST_REMOVED_CHANNEL, in its transaction). */
export function listenForHostRemovals(
  databaseUrl: string,
  onRemoved: (hostId: string) => void,
  onError: (e: Error) => void,
): { close(): Promise<void> } {
  return listenChannel(databaseUrl, HOST_REMOVED_CHANNEL, onRemoved, onError);
}
