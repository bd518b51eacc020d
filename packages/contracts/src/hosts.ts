import { z } from "zod";
import { HostGuards } from "./host-guards.ts";
import { idRef } from "./ids.ts";
import { QEMU_IMAGE_NAME, isDockerImageReference } from "./instances.ts";

const isoDate = z.iso.datetime();

export const CLOUD_KINDS = ["docker", "vm", "baremetal"] as const;
export const CloudKind = z.enum(CLOUD_KINDS);
export type CloudKind = z.infer<typeof CloudKind>;

/** How a cloud's hosts reach other clouds: the console's routed fabric (one underlay), or across the internet through its gateway hosts. */
export const CLOUD_INTERCONNECTS = ["routed", "gateway"] as const;
export const CloudInterconnect = z.enum(CLOUD_INTERCONNECTS);
export type CloudInterconnect = z.infer<typeof CloudInterconnect>;

/** A WireGuard public key: 32 bytes in base64 (the private key never leaves its host). */
export const WireguardPublicKey = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, "must be a WireGuard public key (32 bytes, base64)");

/** Free text an agent reports (hostname, kernel, …): no NUL or other control characters, which Postgres and logs cannot take. */
const factText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters");

/** A dotted-quad IPv4 address (no leading zeros), as a 32-bit number; null if it is not one. */
export function ipv4Value(text: string): number | null {
  const m = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(text);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

/** Ranges no fabric address or instance block may use: this network, loopback, link-local, multicast, reserved, broadcast. */
const NOT_ON_A_FABRIC: readonly [number, number][] = [
  [0x00000000, 8],
  [0x7f000000, 8],
  [0xa9fe0000, 16],
  [0xe0000000, 4],
  [0xf0000000, 4],
];
const inRange = (value: number, [base, len]: readonly [number, number]): boolean =>
  Math.floor(value / 2 ** (32 - len)) === Math.floor(base / 2 ** (32 - len));
const fabricUsable = (value: number): boolean => !NOT_ON_A_FABRIC.some((r) => inRange(value, r));

/** A unicast IPv4 address a host can hold on the fabric. */
export const FabricAddress = z
  .string()
  .max(15)
  .refine((s) => ipv4Value(s) !== null, "must be an IPv4 address like 100.64.1.11")
  .refine((s) => fabricUsable(ipv4Value(s) ?? 0), "must be a unicast address outside 0/8, 127/8, 169.254/16 and 224/3");

/** Prefix lengths an instance block may have: at least 8 addresses, at most a /16. */
export const INSTANCE_BLOCK_PREFIX = { min: 16, max: 29 } as const;

/** The routed block a host's instances get fabric addresses from: a network address and prefix, e.g. 100.65.3.0/24. */
export const InstanceBlock = z
  .string()
  .max(18)
  .superRefine((s, c) => {
    const m = /^([0-9.]+)\/(\d{1,2})$/.exec(s);
    const base = m ? ipv4Value(m[1] ?? "") : null;
    const len = m ? Number(m[2]) : NaN;
    if (base === null || !(len >= 0 && len <= 32))
      return void c.addIssue({ code: "custom", message: "must be an IPv4 CIDR like 100.65.3.0/24" });
    if (len < INSTANCE_BLOCK_PREFIX.min || len > INSTANCE_BLOCK_PREFIX.max)
      return void c.addIssue({
        code: "custom",
        message: `prefix must be /${INSTANCE_BLOCK_PREFIX.min} to /${INSTANCE_BLOCK_PREFIX.max}`,
      });
    if (base % 2 ** (32 - len) !== 0)
      return void c.addIssue({ code: "custom", message: "must be a network address (host bits zero)" });
    if (!fabricUsable(base))
      c.addIssue({ code: "custom", message: "must be outside 0/8, 127/8, 169.254/16 and 224/3" });
  });

/** A unicast, non-zero MAC in lower case. */
export const UnicastMac = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, "must be a MAC like 02:00:64:40:01:0b (lower case)")
  .refine((s) => parseInt(s.slice(0, 2), 16) % 2 === 0 && s !== "00:00:00:00:00:00", "must be a unicast, non-zero MAC");

/** An OpenFlow datapath id: 16 hex digits, not zero. */
export const DatapathId = z
  .string()
  .regex(/^[0-9a-f]{16}$/, "must be 16 lower-case hex digits")
  .refine((s) => !/^0+$/.test(s), "must not be zero");

/** At most this many images of each kind are reported (a host with more lists the first ones, sorted). */
export const MAX_REPORTED_IMAGES = 200;

/**
 * What a host can launch: the Docker images it holds (`repository:tag`, Docker's grammar) and the VM
 * guests in its image directory (names). Reported by agents since issue 17; absent from older ones.
 */
export const HostImages = z
  .object({
    docker: z
      .array(z.string().max(300).refine(isDockerImageReference, "must be a Docker image reference"))
      .max(MAX_REPORTED_IMAGES)
      .default([]),
    qemu: z.array(z.string().regex(QEMU_IMAGE_NAME, "must be a guest name")).max(MAX_REPORTED_IMAGES).default([]),
    /**
     * the guests among `qemu` whose VMs run qemu-guest-agent on the channel the agent attaches (disk
     * images), so a probe can be sent from inside them; absent from older agents (none then)
     */
    qemuGuestAgent: z
      .array(z.string().regex(QEMU_IMAGE_NAME, "must be a guest name"))
      .max(MAX_REPORTED_IMAGES)
      .optional(),
  })
  .strict();
export type HostImages = z.infer<typeof HostImages>;

/** What a gateway link's measurements may be: a round trip up to a minute, MTUs within IPv4's (68 to 65535). */
export const GATEWAY_LINK_BOUNDS = { maxRttMs: 60_000, minMtu: 68, maxMtu: 65_535 } as const;

/**
 * A gateway's tunnel to another cloud's gateway as its agent last read it (`wg show … dump`):
 * the peer by its public address, when the last handshake was (null: never), bytes both ways.
 * WireGuard re-handshakes every 2 minutes while traffic flows, so a handshake older than 3 minutes
 * (or none) means the link is down.
 */
export const GatewayLink = z
  .object({
    peerAddress: FabricAddress,
    lastHandshakeAt: z.iso.datetime().nullable(),
    rxBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    txBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    /**
     * What the agent measured through the tunnel (apps/agent/src/gateway-probe.ts; absent from older
     * agents): the lowest round trip of three pings between the gateways' tunnel addresses (null: no answer),
     * the tunnel interface's MTU, the largest inner packet that crossed with DF set (null: none did),
     * and when. Bounded: a round trip over a minute or an MTU outside IPv4's range is a lie, refused.
     */
    rttMs: z.number().min(0).max(GATEWAY_LINK_BOUNDS.maxRttMs).nullable().optional(),
    tunnelMtu: z.number().int().min(GATEWAY_LINK_BOUNDS.minMtu).max(GATEWAY_LINK_BOUNDS.maxMtu).optional(),
    pathMtu: z.number().int().min(GATEWAY_LINK_BOUNDS.minMtu).max(GATEWAY_LINK_BOUNDS.maxMtu).nullable().optional(),
    measuredAt: z.iso.datetime().optional(),
    /**
     * The agent's close watch of the link (apps/agent/src/link-watch.ts: a ping twice a second, down
     * after three misses in a row, up at an answer); absent until it has judged, and from older agents.
     * The TSC moves a gateway's pairs away when every one of its links is down (worker: tunnel reports).
     */
    up: z.boolean().optional(),
  })
  .strict();
export type GatewayLink = z.infer<typeof GatewayLink>;

/** WireGuard re-handshakes every 2 minutes on a live link: a link without a handshake for 3 is down. */
export const GATEWAY_LINK_DOWN_AFTER_MS = 180_000;

/** Whether a gateway link is up at `now` (a handshake within the last 3 minutes). */
export function gatewayLinkUp(link: GatewayLink, now: Date): boolean {
  return (
    link.lastHandshakeAt !== null && now.getTime() - Date.parse(link.lastHandshakeAt) <= GATEWAY_LINK_DOWN_AFTER_MS
  );
}

/**
 * What an agent reports about its machine, on enrollment and with every heartbeat. Unknown top-level
 * keys (a newer agent's facts) are stripped; every known one is validated and bounded.
 */
export const HostFacts = z
  .object({
    hostname: factText(253).min(1),
    os: factText(200).nullable().default(null),
    kernel: factText(200),
    cpus: z.number().int().min(1).max(4096),
    memoryMiB: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1),
    ovsVersion: factText(40).nullable(),
    /**
     * The host's identity on the fabric (a claim: the console approves it at the first claim, checked
     * unique, and refuses a heartbeat that changes it; see `HostIdentity`). What the TSC maps to and
     * from: the VEB's address, prefix length and MAC, the next hop's MAC, the datapath id.
     */
    fabricAddress: FabricAddress.nullable().default(null),
    fabricPrefixLen: z.number().int().min(8).max(30).nullable().default(null),
    fabricMac: UnicastMac.nullable().default(null),
    nextHopMac: UnicastMac.nullable().default(null),
    datapathId: DatapathId.nullable().default(null),
    /** the routed block of fabric addresses this host's instances get (operator-configured) */
    instanceBlock: InstanceBlock.nullable().default(null),
    datacenter: factText(64).nullable().default(null),
    runtimes: z.object({ docker: z.boolean(), qemu: z.boolean(), netns: z.boolean() }),
    images: HostImages.default({ docker: [], qemu: [] }),
    agentVersion: factText(40).default("0.0.0"),
    /** the public half of the WireGuard key the agent made on the host (what gateways peer with); absent from older agents */
    wireguardPublicKey: WireguardPublicKey.nullable().default(null),
    /** a gateway's links to other clouds' gateways (issue 15); null on other hosts and from older agents */
    gatewayLinks: z
      .array(GatewayLink)
      .max(1000)
      .refine((ls) => new Set(ls.map((l) => l.peerAddress)).size === ls.length, "must name each peer once")
      .nullable()
      .default(null),
    /** the instance-port and fabric guards as the agent last checked them; null from older agents and ones that leave OVS alone */
    guards: HostGuards.nullable().default(null),
  })
  // a newer agent's new top-level facts are dropped, not refused: a console upgraded after its
  // agents keeps hearing them (every known fact stays strictly checked, nested objects stay strict,
  // and the request's size limit still bounds what is sent)
  .strip();
export type HostFacts = z.infer<typeof HostFacts>;

/** The facts that make a host's identity on the fabric; approved by the console, never changed by a heartbeat. */
export const HOST_IDENTITY_FIELDS = [
  "datapathId",
  "fabricAddress",
  "fabricPrefixLen",
  "fabricMac",
  "nextHopMac",
  "instanceBlock",
  // the WireGuard key gateways peer with: bound at the first claim and unique console-wide like the
  // datapath id, so no host (of any organization) takes over another's tunnel by reporting its key
  "wireguardPublicKey",
] as const;
/** Those fields as a mask (`{ datapathId: true, … }`): what picks them from the facts, and selects them from a row. */
export const HOST_IDENTITY_MASK = Object.fromEntries(HOST_IDENTITY_FIELDS.map((f) => [f, true])) as {
  readonly [F in (typeof HOST_IDENTITY_FIELDS)[number]]: true;
};
export const HostIdentity = HostFacts.pick(HOST_IDENTITY_MASK);
export type HostIdentity = z.infer<typeof HostIdentity>;

/** `host.rotateCredential`: when the rotation was asked for (the agent picks it up on its next heartbeat). */
export const CredentialRotationDto = z.object({ hostId: z.string(), rotationRequestedAt: z.iso.datetime() });
/** `host.approveIdentity`: the identity the host now holds. */
export const IdentityApprovalDto = z.object({ hostId: z.string(), identity: HostIdentity });

/** The approved identity as the console shows it (read back from storage, so not re-validated: a value approved under older rules still shows). */
export const ApprovedIdentityDto = z.object({
  datapathId: z.string().nullable(),
  fabricAddress: z.string().nullable(),
  fabricPrefixLen: z.number().int().nullable(),
  fabricMac: z.string().nullable(),
  nextHopMac: z.string().nullable(),
  instanceBlock: z.string().nullable(),
  wireguardPublicKey: z.string().nullable(),
});

/** A claim the console refused (a conflict with another host, or a change of an approved fact), kept until approved or withdrawn. */
export const IdentityClaimDto = z.object({ identity: HostIdentity, reason: z.string(), claimedAt: isoDate });
export type IdentityClaimDto = z.infer<typeof IdentityClaimDto>;

export const HOST_STATUSES = ["online", "stale", "offline"] as const;
export const HostStatus = z.enum(HOST_STATUSES);
export type HostStatus = z.infer<typeof HostStatus>;

export const CloudDto = z.object({
  id: idRef("cloud"),
  name: z.string(),
  kind: CloudKind,
  region: z.string(),
  datacenter: z.string(),
  interconnect: CloudInterconnect,
  createdAt: isoDate,
  hostCount: z.number().int(),
});
export type CloudDto = z.infer<typeof CloudDto>;

export const JoinTokenDto = z.object({
  id: idRef("joinToken"),
  cloudId: idRef("cloud"),
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
  id: idRef("host"),
  cloudId: idRef("cloud"),
  name: z.string(),
  status: HostStatus,
  facts: HostFacts,
  enrolledAt: isoDate,
  lastSeenAt: isoDate,
  /** when the host's current credential was issued (enrollment or the last completed rotation) */
  credentialIssuedAt: isoDate.nullable(),
  /** a rotation asked for and not yet confirmed by the agent (the old credential still works until then) */
  credentialRotationRequestedAt: isoDate.nullable(),
  /** the identity the console approved (what the fabric uses; nulls: not claimed yet) */
  identity: ApprovedIdentityDto,
  /** a refused identity claim waiting for an owner or admin (`approve-identity`), or null */
  identityClaim: IdentityClaimDto.nullable(),
  /** why the fabric skipped this host or one of its instances at its last refresh, or null */
  fabricProblem: z.string().nullable(),
  /** set when the host is a gateway of its cloud: the public address other clouds' gateways reach it at */
  gatewayPublicAddress: z.string().nullable(),
});
export type HostDto = z.infer<typeof HostDto>;

/** Agent ↔ control plane messages (parsed on both ends; evolve append-only). */
/** A PKCS#10 certificate request in PEM: the agent's OpenFlow key stays on its host, only this travels. */
export const CertificateRequestPem = z
  .string()
  .max(4000)
  .regex(
    /^-----BEGIN CERTIFICATE REQUEST-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE REQUEST-----\s*$/,
    "a PEM certificate request",
  );
/**
 * The switch certificate the console (the fabric's CA) issued for a CSR: it names the host id and
 * its datapath id; `caCert` is what the switch trusts the TSC by. Configured with `ovs-vsctl set-ssl`.
 */
export const FabricCertificate = z.object({ cert: z.string(), caCert: z.string(), notAfter: isoDate });
export type FabricCertificate = z.infer<typeof FabricCertificate>;

export const EnrollRequest = z.object({
  joinToken: z.string().min(1).max(200),
  facts: HostFacts,
  csr: CertificateRequestPem.optional(),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;
export const EnrollResponse = z.object({
  hostId: z.string(),
  orgId: z.string(),
  cloudId: z.string(),
  credential: z.string(),
  heartbeatSeconds: z.number().int(),
  /** the host's approved instance block: the one its agent claimed, or the one the console assigned from its pool (absent from older consoles) */
  instanceBlock: z.string().nullable().optional(),
  /** issued when the request carried a CSR (and facts with a datapath id) */
  certificate: FabricCertificate.optional(),
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;
/** `csr`: the agent asks for a (new) switch certificate: none yet, nearly expired, asked for, or its credential just rotated. */
/**
 * A gateway host's tunnel plumbing, the same on every gateway (a point-to-point veth inside one
 * host, so fixed values collide with nothing): the VEB's tunnel port (`nvigw`, OpenFlow port 4000)
 * and its peer in the host's stack (`nvigk`), WireGuard's UDP port, and the TCP MSS clamped so a
 * full-size segment fits the tunnel (1500 − 20 IP − 20 TCP − 60 WireGuard's outer IP/UDP/header/tag).
 * The agent sets them up; the worker's fabric gives them to the TSC.
 */
export const GATEWAY_TUNNEL = {
  ofport: 4000,
  vebIf: "nvigw",
  stackIf: "nvigk",
  vebMac: "02:4e:56:47:00:01",
  stackMac: "02:4e:56:47:00:02",
  listenPort: 51820,
  mss: 1380,
} as const;

/** Another cloud's gateway, as this gateway's WireGuard peers with it. */
export const GatewayPeer = z
  .object({
    /** its approved WireGuard public key */
    publicKey: WireguardPublicKey,
    /** its public address (WireGuard's endpoint, on GATEWAY_TUNNEL.listenPort; checked public when it was set) */
    publicAddress: FabricAddress,
    /** its instance block: the only sources WireGuard accepts from it, and what is routed to it */
    allowedIps: InstanceBlock,
  })
  .strict();
export type GatewayPeer = z.infer<typeof GatewayPeer>;

/** What a gateway host's agent sets up (heartbeat answer): its own public address and its peers. */
export const GatewayConfig = z
  .object({
    publicAddress: FabricAddress,
    peers: z.array(GatewayPeer).max(1000),
  })
  .strict();
export type GatewayConfig = z.infer<typeof GatewayConfig>;

export const HeartbeatRequest = z.object({ facts: HostFacts, csr: CertificateRequestPem.optional() });
export const HeartbeatResponse = z.object({
  hostId: z.string(),
  heartbeatSeconds: z.number().int(),
  /** the approved instance block (assigned by the console when the agent claimed none); the agent adopts it */
  instanceBlock: z.string().nullable().optional(),
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
  /**
   * Issue 15: this host is its cloud's gateway: set up the tunnel to these peers; null: it is none
   * (take the tunnel down). Absent (an older console): leave whatever is set up.
   */
  gateway: GatewayConfig.nullable().optional(),
  /** instances here talk across clouds: their TX checksum offload goes off (packages/controller README, "Checksums") */
  crossCloud: z.boolean().optional(),
});

/** The DSCP a VPC's packets carry on the underlay: six bits, 0 (best effort) unless the VPC says otherwise. */
export const UnderlayDscp = z.number().int().min(0).max(63);

export const VpcDto = z.object({
  id: idRef("vpc"),
  name: z.string(),
  cidr: z.string(),
  allowOverlap: z.boolean(),
  underlayDscp: UnderlayDscp,
  createdAt: isoDate,
  subnetCount: z.number().int(),
});
export type VpcDto = z.infer<typeof VpcDto>;

export const SubnetDto = z.object({
  id: idRef("subnet"),
  vpcId: idRef("vpc"),
  cloudId: idRef("cloud"),
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
