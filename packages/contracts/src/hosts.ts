import { z } from "zod";

const isoDate = z.iso.datetime();

export const CLOUD_KINDS = ["docker", "vm", "baremetal"] as const;
export const CloudKind = z.enum(CLOUD_KINDS);
export type CloudKind = z.infer<typeof CloudKind>;

/** What an agent reports about its machine, on enrollment and with every heartbeat. */
export const HostFacts = z
  .object({
    hostname: z.string().min(1).max(253),
    os: z.string().max(200).nullable().default(null),
    kernel: z.string().max(200),
    cpus: z.number().int().min(1).max(4096),
    memoryMiB: z.number().int().min(1),
    ovsVersion: z.string().max(40).nullable(),
    fabricAddress: z.string().max(64).nullable().default(null),
    /** what the TSC maps to and from: the VEB's prefix length and MAC, the next hop's MAC, the datapath id */
    fabricPrefixLen: z.number().int().min(0).max(32).nullable().default(null),
    fabricMac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/).nullable().default(null),
    nextHopMac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/).nullable().default(null),
    datapathId: z.string().regex(/^[0-9a-f]{16}$/).nullable().default(null),
    /** the routed block of fabric addresses this host's instances get (operator-configured) */
    instanceBlock: z.string().max(18).nullable().default(null),
    datacenter: z.string().max(64).nullable().default(null),
    runtimes: z.object({ docker: z.boolean(), qemu: z.boolean(), netns: z.boolean() }),
    agentVersion: z.string().max(40).default("0.0.0"),
  })
  .strict();
export type HostFacts = z.infer<typeof HostFacts>;

export const HOST_STATUSES = ["online", "stale", "offline"] as const;
export const HostStatus = z.enum(HOST_STATUSES);
export type HostStatus = z.infer<typeof HostStatus>;

export const CloudDto = z.object({
  id: z.string(),
  name: z.string(),
  kind: CloudKind,
  region: z.string(),
  datacenter: z.string(),
  createdAt: isoDate,
  hostCount: z.number().int(),
});
export type CloudDto = z.infer<typeof CloudDto>;

export const JoinTokenDto = z.object({
  id: z.string(),
  cloudId: z.string(),
  prefix: z.string(),
  reusable: z.boolean(),
  usageLimit: z.number().int().nullable(),
  uses: z.number().int(),
  createdAt: isoDate,
  expiresAt: isoDate,
  revokedAt: isoDate.nullable(),
  status: z.enum(["active", "used", "expired", "revoked"]),
});
export type JoinTokenDto = z.infer<typeof JoinTokenDto>;

export const HostDto = z.object({
  id: z.string(),
  cloudId: z.string(),
  name: z.string(),
  status: HostStatus,
  facts: HostFacts,
  enrolledAt: isoDate,
  lastSeenAt: isoDate,
  /** when the host's current credential was issued (enrollment or the last completed rotation) */
  credentialIssuedAt: isoDate.nullable(),
  /** a rotation asked for and not yet confirmed by the agent (the old credential still works until then) */
  credentialRotationRequestedAt: isoDate.nullable(),
});
export type HostDto = z.infer<typeof HostDto>;

/** Agent ↔ control plane messages (parsed on both ends; evolve append-only). */
/** A PKCS#10 certificate request in PEM: the agent's OpenFlow key stays on its host, only this travels. */
export const CertificateRequestPem = z.string().max(4000).regex(/^-----BEGIN CERTIFICATE REQUEST-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE REQUEST-----\s*$/, "a PEM certificate request");
/**
 * The switch certificate the console (the fabric's CA) issued for a CSR: it names the host id and
 * its datapath id; `caCert` is what the switch trusts the TSC by. Configured with `ovs-vsctl set-ssl`.
 */
export const FabricCertificate = z.object({ cert: z.string(), caCert: z.string(), notAfter: isoDate });
export type FabricCertificate = z.infer<typeof FabricCertificate>;

export const EnrollRequest = z.object({ joinToken: z.string().min(1).max(200), facts: HostFacts, csr: CertificateRequestPem.optional() });
export type EnrollRequest = z.infer<typeof EnrollRequest>;
export const EnrollResponse = z.object({
  hostId: z.string(),
  orgId: z.string(),
  cloudId: z.string(),
  credential: z.string(),
  heartbeatSeconds: z.number().int(),
  /** issued when the request carried a CSR (and facts with a datapath id) */
  certificate: FabricCertificate.optional(),
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;
/** `csr`: the agent asks for a (new) switch certificate: none yet, nearly expired, asked for, or its credential just rotated. */
export const HeartbeatRequest = z.object({ facts: HostFacts, csr: CertificateRequestPem.optional() });
export const HeartbeatResponse = z.object({
  hostId: z.string(),
  heartbeatSeconds: z.number().int(),
  /**
   * Credential rotation: a new host credential, delivered over this authenticated call. The agent
   * stores it and uses it from its next call on; that first use makes it the host's credential and
   * ends the old one (which keeps working until then, so a lost answer locks nothing out).
   */
  newCredential: z.string().optional(),
  /** the certificate for the request's CSR; it replaces the host's previous one, which the TSC refuses from now on */
  certificate: FabricCertificate.optional(),
  /** the console wants a new CSR (no certificate on record, another CA, another datapath id, or renewal due) */
  certificateWanted: z.boolean().optional(),
});

export const VpcDto = z.object({
  id: z.string(),
  name: z.string(),
  cidr: z.string(),
  allowOverlap: z.boolean(),
  createdAt: isoDate,
  subnetCount: z.number().int(),
});
export type VpcDto = z.infer<typeof VpcDto>;

export const SubnetDto = z.object({
  id: z.string(),
  vpcId: z.string(),
  cloudId: z.string(),
  name: z.string(),
  cidr: z.string(),
  gateway: z.string(),
  createdAt: isoDate,
  addressesInUse: z.number().int(),
});
export type SubnetDto = z.infer<typeof SubnetDto>;

/** The MAC every VEB answers ARP with (gateway and peers) and writes as source towards its instances; it never leaves a host. */
export const VEB_MAC = "02:4e:56:49:00:01";
/** The OpenFlow port of a VEB's fabric NIC (the agent plugs it first). */
export const FABRIC_OFPORT = 1;
