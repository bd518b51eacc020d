import {
  type CloudLinkDto,
  type GatewayLink,
  type GatewayNat,
  type GatewayTunnelDto,
  type HostStatus,
  asId,
  gatewayLinkUp,
} from "@nvi/contracts";
import { assertScope } from "../access.ts";
import type { Ctx } from "../context.ts";
import { natOf } from "./gateways.ts";
import { hostStatus, storedFacts } from "./hosts.ts";

/**
 * The links between an organization's gateway clouds (issue 15), summed up from what their gateway
 * hosts report: a claim each, so a link is `encrypted` only when both ends are online and both say
 * their WireGuard handshake with the other is fresh; otherwise the reason is said in words. The
 * round trip and path MTU are the agents' measurements (apps/agent/src/gateway-probe.ts), used only
 * while recent.
 */

/** A measurement older than this (or from further in the future, a skewed or lying clock) is not shown. */
export const MEASUREMENT_FRESH_MS = 60_000;

export interface LinkCloud {
  id: string;
  name: string;
}
export interface LinkGateway {
  id: string;
  name: string;
  cloudId: string;
  publicAddress: string;
  status: HostStatus;
  lastSeenAt: Date;
  links: readonly GatewayLink[] | null;
  /** how its public address reaches it, as declared (absent: `none`) */
  nat?: GatewayNat | null;
}

/**
 * Why two gateways never meet: each sits behind a NAT that rewrites ports, which lets nothing in
 * until the gateway behind it has sent first, and neither knows the port the other's NAT chose.
 */
export const BOTH_BEHIND_NAPT =
  "both gateways are behind port-rewriting NAT: neither can reach the other; give one of them a public address or a 1:1 NAT";

/** "35 s", "4 min", "3 h", "2 days": how long ago, in words a person reads at a glance. */
export function ageInWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

const fresh = (l: GatewayLink, now: Date): boolean => {
  if (!l.measuredAt) return false;
  const age = now.getTime() - Date.parse(l.measuredAt);
  return age <= MEASUREMENT_FRESH_MS && age >= -MEASUREMENT_FRESH_MS;
};

/** Why one end's view of a tunnel is not a live encrypted link, or null when it is. */
function endProblem(from: LinkGateway, to: LinkGateway, link: GatewayLink | undefined, now: Date): string | null {
  if (from.status !== "online")
    return `gateway host ${from.name} is ${from.status} (last heartbeat ${ageInWords(now.getTime() - from.lastSeenAt.getTime())} ago)`;
  if (!link) return `${from.name} reports no tunnel to ${to.name} (${to.publicAddress})`;
  // the agent's close watch (link-watch.ts) hears of a dead tunnel long before its handshake ages
  if (link.up === false) return `${from.name} gets no answer through the tunnel from ${to.publicAddress}`;
  if (gatewayLinkUp(link, now)) return null;
  return link.lastHandshakeAt
    ? `no WireGuard handshake from ${from.name} to ${to.publicAddress} for ${ageInWords(now.getTime() - Date.parse(link.lastHandshakeAt))}`
    : `no WireGuard handshake from ${from.name} to ${to.publicAddress} yet`;
}

const mean = (xs: number[]): number | null =>
  xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : null;
const least = (xs: number[]): number | null => (xs.length ? Math.min(...xs) : null);

/** One tunnel between gateway `a` (of the first cloud) and `b`, from both ends' reports. */
export function tunnelOf(a: LinkGateway, b: LinkGateway, now: Date): GatewayTunnelDto {
  const ab = a.links?.find((l) => l.peerAddress === b.publicAddress);
  const ba = b.links?.find((l) => l.peerAddress === a.publicAddress);
  const problems = [endProblem(a, b, ab, now), endProblem(b, a, ba, now)].filter((p): p is string => p !== null);
  // two gateways that can only dial out: that is why, whatever else each end says; an offline end's
  // report is old: only its problem is said, not the other end's view of it
  const unreachable = problems.length > 0 && a.nat === "port-rewriting" && b.nat === "port-rewriting";
  const reason = unreachable
    ? BOTH_BEHIND_NAPT
    : (problems.find((p) => p.startsWith("gateway host ")) ?? (problems.join("; ") || null));
  const measured = [ab, ba].filter((l): l is GatewayLink => l !== undefined && fresh(l, now));
  const up = reason === null;
  return {
    a: { hostId: asId("host", a.id), name: a.name, publicAddress: a.publicAddress },
    b: { hostId: asId("host", b.id), name: b.name, publicAddress: b.publicAddress },
    state: up ? "encrypted" : "down",
    reason,
    rttMs: up ? mean(measured.flatMap((l) => (typeof l.rttMs === "number" ? [l.rttMs] : []))) : null,
    // the path must carry both directions: the smaller of what each end got across
    pathMtu: up ? least(measured.flatMap((l) => (typeof l.pathMtu === "number" ? [l.pathMtu] : []))) : null,
    tunnelMtu: least(measured.flatMap((l) => (l.tunnelMtu === undefined ? [] : [l.tunnelMtu]))),
  };
}

const byName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name, "en", { numeric: true });

/** Distinct reasons, at most three, then how many more. */
function joinReasons(reasons: string[]): string {
  const distinct = [...new Set(reasons)];
  const shown = distinct.slice(0, 3).join("; ");
  return distinct.length > 3 ? `${shown}; and ${distinct.length - 3} more` : shown;
}

/** Why none of a cloud's gateways can carry a direct link (none online), or null. */
function darkCloud(cloud: LinkCloud, gateways: readonly LinkGateway[]): string | null {
  if (gateways.some((g) => g.status === "online")) return null;
  return `no gateway host of cloud ${cloud.name} is online (${gateways.map((g) => `${g.name} ${g.status}`).join(", ")})`;
}

/** The key of a pair of clouds, whichever way round: the smaller id first (as `cloud_links` stores it). */
export const cloudPairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

/**
 * Every pair of `clouds` (the gateway clouds), a before b by name, with its state and tunnels. `direct`:
 * the pairs of clouds (by `cloudPairKey`) joined by a trusted direct link: with a gateway online on
 * both sides such a link is `direct`, else `down` naming the dark cloud (the interconnect's own health
 * is not measured; its tunnels are still listed).
 */
export function summarizeCloudLinks(
  clouds: readonly LinkCloud[],
  gateways: readonly LinkGateway[],
  now: Date,
  direct: ReadonlySet<string> = new Set(),
): CloudLinkDto[] {
  const sorted = [...clouds].sort(byName);
  const out: CloudLinkDto[] = [];
  for (let i = 0; i < sorted.length; i++)
    for (let j = i + 1; j < sorted.length; j++) {
      const [a, b] = [sorted[i]!, sorted[j]!];
      const gwA = gateways.filter((g) => g.cloudId === a.id).sort(byName);
      const gwB = gateways.filter((g) => g.cloudId === b.id).sort(byName);
      const mode = direct.has(cloudPairKey(a.id, b.id)) ? ("direct" as const) : ("encrypted" as const);
      const ends = {
        a: { cloudId: asId("cloud", a.id), name: a.name },
        b: { cloudId: asId("cloud", b.id), name: b.name },
        mode,
      };
      const lacking = [gwA.length ? null : a.name, gwB.length ? null : b.name].filter((n): n is string => n !== null);
      if (lacking.length) {
        out.push({
          ...ends,
          state: "no-gateway",
          reason:
            lacking.length === 2
              ? `clouds ${lacking[0]} and ${lacking[1]} have no gateway host`
              : `cloud ${lacking[0]} has no gateway host`,
          rttMs: null,
          pathMtu: null,
          tunnelMtu: null,
          tunnels: [],
        });
        continue;
      }
      const tunnels = gwA.flatMap((ga) => gwB.map((gb) => tunnelOf(ga, gb, now)));
      if (mode === "direct") {
        // the interconnect itself is not measured: a direct link is down when a side has no gateway online
        const dark = [darkCloud(a, gwA), darkCloud(b, gwB)].filter((r): r is string => r !== null);
        const [state, reason] = dark.length ? (["down", dark.join("; ")] as const) : (["direct", null] as const);
        out.push({ ...ends, state, reason, rttMs: null, pathMtu: null, tunnelMtu: null, tunnels });
        continue;
      }
      const live = tunnels
        .filter((t) => t.state === "encrypted")
        .sort((x, y) => (x.rttMs ?? Infinity) - (y.rttMs ?? Infinity));
      const best = live[0];
      out.push({
        ...ends,
        state: best ? "encrypted" : "down",
        reason: best ? null : joinReasons(tunnels.map((t) => t.reason ?? "")),
        rttMs: best?.rttMs ?? null,
        pathMtu: best?.pathMtu ?? null,
        tunnelMtu: best?.tunnelMtu ?? null,
        tunnels,
      });
    }
  return out;
}

/** The organization's gateway clouds and their gateway hosts, as last reported (`cloud.links`, `cloud.gateways`). */
export async function loadGateways(
  ctx: Ctx,
  now: Date,
): Promise<{ clouds: LinkCloud[]; gateways: LinkGateway[]; direct: Set<string> }> {
  const clouds = await ctx.db.cloud.findMany({
    where: { orgId: ctx.actor.orgId, interconnect: "gateway" },
    select: { id: true, name: true },
  });
  const hosts = await ctx.db.host.findMany({
    where: { orgId: ctx.actor.orgId, cloudId: { in: clouds.map((c) => c.id) }, gatewayPublicAddress: { not: null } },
    select: {
      id: true,
      name: true,
      cloudId: true,
      gatewayPublicAddress: true,
      gatewayNat: true,
      lastSeenAt: true,
      facts: true,
    },
  });
  const gateways = hosts.map((h) => ({
    id: h.id,
    name: h.name,
    cloudId: h.cloudId,
    publicAddress: h.gatewayPublicAddress ?? "",
    nat: natOf(h.gatewayNat),
    status: hostStatus(h.lastSeenAt, now),
    lastSeenAt: h.lastSeenAt,
    links: storedFacts(h.facts).gatewayLinks,
  }));
  const links = await ctx.db.cloudLink.findMany({
    where: { orgId: ctx.actor.orgId, mode: "direct" },
    select: { cloudAId: true, cloudBId: true },
  });
  return { clouds, gateways, direct: new Set(links.map((l) => cloudPairKey(l.cloudAId, l.cloudBId))) };
}

/** `cloud.links`: the links between the organization's gateway clouds, as their gateways last reported. */
export async function listCloudLinks(ctx: Ctx): Promise<CloudLinkDto[]> {
  assertScope(ctx.actor.scopes, "clouds", "read");
  const now = ctx.clock();
  const { clouds, gateways, direct } = await loadGateways(ctx, now);
  return summarizeCloudLinks(clouds, gateways, now, direct);
}
