import type { Socket } from "node:net";

/** A plain TCP socket, or a TLS one whose getPeerCertificate shows what the switch proved. */
type MaybeTlsSocket = Socket & {
  getPeerCertificate?: () => { subject?: { CN?: unknown }; subjectaltname?: unknown; serialNumber?: unknown } | null;
};

/** CN of the switch's client certificate on a mutual-TLS session (bind datapath ids to identities). */
export function peerCommonName(socket: Socket): string | undefined {
  const cn = (socket as MaybeTlsSocket).getPeerCertificate?.()?.subject?.CN;
  return typeof cn === "string" ? cn : undefined;
}

/**
 * The switch's client certificate on a mutual-TLS session (its chain already verified by the
 * listener): subjectAltName as Node prints it and the serial (hex); undefined over plain TCP.
 */
export function peerCertificate(
  socket: Socket,
): { subjectAltName: string | undefined; serialNumber: string } | undefined {
  const cert = (socket as MaybeTlsSocket).getPeerCertificate?.();
  if (!cert || typeof cert.serialNumber !== "string") return undefined;
  return {
    subjectAltName: typeof cert.subjectaltname === "string" ? cert.subjectaltname : undefined,
    serialNumber: cert.serialNumber,
  };
}
