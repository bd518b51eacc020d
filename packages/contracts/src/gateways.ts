import { z } from "zod";
import { idRef } from "./ids.ts";
import { HostStatus, ipv4Value } from "./hosts.ts";

/**
 * Gateways of a cloud (issue 15): hosts other clouds' gateways reach across the internet. What the
 * console is told about them; the WireGuard public key comes from the host's facts.
 */

/**
 * Ranges that are never a gateway's address on the internet: this network, private (RFC 1918),
 * shared/CGNAT (RFC 6598), loopback, link-local, IETF protocol assignments, benchmarking
 * (RFC 2544), multicast and reserved, broadcast. Documentation ranges (192.0.2/24, 198.51.100/24,
 * 203.0.113/24) are accepted: labs and examples use them, and they are routed nowhere.
 */
export const NOT_PUBLIC: readonly (readonly [string, number, number])[] = [
  ["0.0.0.0/8", 0x00000000, 8],
  ["10.0.0.0/8", 0x0a000000, 8],
  ["100.64.0.0/10", 0x64400000, 10],
  ["127.0.0.0/8", 0x7f000000, 8],
  ["169.254.0.0/16", 0xa9fe0000, 16],
  ["172.16.0.0/12", 0xac100000, 12],
  ["192.0.0.0/24", 0xc0000000, 24],
  ["192.168.0.0/16", 0xc0a80000, 16],
  ["198.18.0.0/15", 0xc6120000, 15],
  ["224.0.0.0/3", 0xe0000000, 3],
];

/** The non-public range an address falls in, or null when it is public. */
export function nonPublicRange(value: number): string | null {
  const hit = NOT_PUBLIC.find(
    ([, base, len]) => Math.floor(value / 2 ** (32 - len)) === Math.floor(base / 2 ** (32 - len)),
  );
  return hit ? hit[0] : null;
}

/** A gateway's public IPv4 address (seen on the host, or a 1:1 NAT's in front of it). */
export const PublicAddress = z
  .string()
  .max(15)
  .superRefine((s, c) => {
    const value = ipv4Value(s);
    if (value === null)
      return void c.addIssue({ code: "custom", message: "must be an IPv4 address like 198.51.100.7" });
    const range = nonPublicRange(value);
    if (range) c.addIssue({ code: "custom", message: `must be a public address (${s} is in ${range})` });
  });

/**
 * How a gateway's public address reaches it: on the host itself (`none`), a 1:1 NAT's that keeps
 * ports (`one-to-one`), or a NAT that rewrites ports (`port-rewriting`: nothing from outside reaches
 * the gateway until it has dialled out, so two such gateways never meet; cloud-links.ts says so).
 */
export const GATEWAY_NATS = ["none", "one-to-one", "port-rewriting"] as const;
export const GatewayNat = z.enum(GATEWAY_NATS);
export type GatewayNat = z.infer<typeof GatewayNat>;

/** `host.setGateway`: make a host its cloud's gateway at this public address, or (null) no longer a gateway. */
export const SetHostGatewayInput = z.object({
  hostId: idRef("host"),
  publicAddress: PublicAddress.nullable(),
  /** how the address reaches the host; absent: as declared before, else `none` */
  nat: GatewayNat.optional(),
});
export type SetHostGatewayInput = z.infer<typeof SetHostGatewayInput>;

/** `cloud.addGateway`: declare one more gateway host of a cloud (or change a gateway's address or NAT). */
export const AddCloudGatewayInput = z.object({
  cloudId: idRef("cloud"),
  hostId: idRef("host"),
  publicAddress: PublicAddress,
  /** how the address reaches the host; absent: as declared before (a gateway given a new address keeps its NAT), else `none` */
  nat: GatewayNat.optional(),
});
export type AddCloudGatewayInput = z.infer<typeof AddCloudGatewayInput>;

/** `cloud.removeGateway`: the host stays in its cloud, no longer a gateway. */
export const CloudGatewayRef = z.object({ cloudId: idRef("cloud"), hostId: idRef("host") });
export type CloudGatewayRef = z.infer<typeof CloudGatewayRef>;

/** What `host.setGateway` answers. */
export const HostGatewayDto = z.object({
  hostId: idRef("host"),
  publicAddress: z.string().nullable(),
  /** the WireGuard public key the host reported, or null while its agent has reported none */
  wireguardPublicKey: z.string().nullable(),
});
export type HostGatewayDto = z.infer<typeof HostGatewayDto>;

/**
 * The state of the link between two clouds joined through gateways, as the console sums it up from
 * the gateways' heartbeats: `encrypted` (some pair of their gateways has a fresh WireGuard handshake
 * reported by both sides), `direct` (a trusted direct link, `mode: "direct"`, with a gateway online on
 * both sides: the interconnect's own health is not measured, its gateways' tunnels are still listed;
 * with none online on a side it is `down`, naming that cloud),
 * `down` (gateways on both sides, no such pair: `reason` says why in words), `no-gateway` (one
 * cloud has no gateway host). The Topology page's `data-state` uses these names.
 */
export const CLOUD_LINK_STATES = ["encrypted", "direct", "down", "no-gateway"] as const;
export const CloudLinkState = z.enum(CLOUD_LINK_STATES);
export type CloudLinkState = z.infer<typeof CloudLinkState>;

/** One tunnel between a gateway of each cloud, with what both ends reported. */
export const GatewayTunnelDto = z.object({
  a: z.object({ hostId: idRef("host"), name: z.string(), publicAddress: z.string() }),
  b: z.object({ hostId: idRef("host"), name: z.string(), publicAddress: z.string() }),
  state: z.enum(["encrypted", "down"]),
  reason: z.string().nullable(),
  /** the round trip through the tunnel (ms), the mean of both ends' recent measurements; null: none */
  rttMs: z.number().nullable(),
  /** the largest inner packet both ends recently got across with DF set; null: not measured */
  pathMtu: z.number().int().nullable(),
  /** the tunnel interfaces' MTU (the smaller end's); null: not reported */
  tunnelMtu: z.number().int().nullable(),
});
export type GatewayTunnelDto = z.infer<typeof GatewayTunnelDto>;

/**
 * How pairs between two gateway clouds cross: `encrypted`, WireGuard between their gateways (the
 * default), or `direct`, a trusted direct link for a private interconnect (a leased line, a cloud's
 * interconnect) that routes each gateway's instance block to that gateway: no tunnel and no byte
 * added, not encrypted (packages/controller README, "Trusted direct links").
 */
export const CLOUD_LINK_MODES = ["encrypted", "direct"] as const;
export const CloudLinkMode = z.enum(CLOUD_LINK_MODES);
export type CloudLinkMode = z.infer<typeof CloudLinkMode>;

/** `cloud.setLinkMode`: how pairs between two of the organization's gateway clouds cross. */
export const SetCloudLinkModeInput = z.object({
  cloudId: idRef("cloud"),
  peerCloudId: idRef("cloud"),
  mode: CloudLinkMode,
});
export type SetCloudLinkModeInput = z.infer<typeof SetCloudLinkModeInput>;

/** `cloud.links`: one per pair of the organization's gateway clouds (a before b by name). */
export const CloudLinkDto = z.object({
  a: z.object({ cloudId: idRef("cloud"), name: z.string() }),
  b: z.object({ cloudId: idRef("cloud"), name: z.string() }),
  /** how pairs cross it, as declared (`cloud.setLinkMode`) */
  mode: CloudLinkMode,
  state: CloudLinkState,
  /** why the link is down or has no gateway, in words; null when encrypted */
  reason: z.string().nullable(),
  /** the best encrypted tunnel's round trip and path MTU (those of the tunnel new flows would prefer) */
  rttMs: z.number().nullable(),
  pathMtu: z.number().int().nullable(),
  tunnelMtu: z.number().int().nullable(),
  tunnels: z.array(GatewayTunnelDto),
});
export type CloudLinkDto = z.infer<typeof CloudLinkDto>;

/** One gateway host of a cloud with its health (`cloud.gateways`): its host's status and each tunnel to another cloud's gateway. */
export const CloudGatewayDto = z.object({
  hostId: idRef("host"),
  name: z.string(),
  publicAddress: z.string(),
  nat: GatewayNat,
  status: HostStatus,
  /** null while its agent has reported no WireGuard key (the tunnel cannot be set up yet) */
  wireguardPublicKey: z.string().nullable(),
  /** to every gateway of the organization's other gateway clouds */
  tunnels: z.array(
    z.object({
      peer: z.object({ hostId: idRef("host"), name: z.string(), cloudName: z.string(), publicAddress: z.string() }),
      state: z.enum(["encrypted", "down"]),
      reason: z.string().nullable(),
      rttMs: z.number().nullable(),
    }),
  ),
});
export type CloudGatewayDto = z.infer<typeof CloudGatewayDto>;
