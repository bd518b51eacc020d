import type { FabricHost, Inventory } from "./model.ts";

/**
 * One gateway's word about one of its own WireGuard links (issue 15): its agent pings the peer
 * gateway's tunnel address twice a second and declares the link down after a few misses, up after
 * an answer. The worker binds each report to the host that made it (its authenticated heartbeat)
 * and names the peer by datapath id; what a report may change is decided here.
 */
export interface TunnelReport {
  /** the reporting gateway's datapath id */
  from: bigint;
  /** the peer gateway's datapath id */
  peer: bigint;
  up: boolean;
}

/** Both are gateways of different clouds of one owner: the only link a report may speak of. */
function linkable(a: FabricHost | undefined, b: FabricHost | undefined): boolean {
  if (!a?.gateway || !b?.gateway || a.datapathId === b.datapathId) return false;
  if (a.cloud === undefined || b.cloud === undefined || a.cloud === b.cloud) return false;
  return a.owner === b.owner;
}

/**
 * The gateways whose tunnel is cut (their wireguard-go killed, their internet link cut, while their
 * VEB and fabric port stay up): every one of their links to another cloud is declared down by one of
 * its two ends. A link is used only while neither end says it is down (the safe side when the ends
 * disagree), and a gateway is cut only when no link of it is left: one dead peer does not cut the
 * gateways that reach it (the dead one is cut by its own links). Reports that are not about a link
 * between two gateways of different clouds of one owner are ignored, so a host never speaks for a
 * link it is not an end of, and never for another organization's gateways.
 */
export function cutGateways(inventory: Inventory, reports: readonly TunnelReport[]): Set<bigint> {
  const alive = new Map<bigint, boolean>();
  for (const { ends, down } of judgeLinks(inventory, reports).values())
    for (const g of ends) alive.set(g, (alive.get(g) ?? false) || !down);
  return new Set([...alive].filter(([, up]) => !up).map(([g]) => g));
}

/** The link between two gateways, named the same from either end. */
export const linkKey = (a: bigint, b: bigint): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

/**
 * The links declared down by either end (by `linkKey`, with their two ends), among links between
 * gateways of different clouds of one owner: a pair is never carried over one of them, even when both
 * its gateways keep other links (a partial cut: neither gateway is cut, only that couple is).
 */
export function cutLinks(inventory: Inventory, reports: readonly TunnelReport[]): Map<string, LinkEnds> {
  return new Map([...judgeLinks(inventory, reports)].filter(([, l]) => l.down).map(([key, l]) => [key, l.ends]));
}

/** A link's two gateways, lower datapath id first. */
export type LinkEnds = readonly [bigint, bigint];

function judgeLinks(
  inventory: Inventory,
  reports: readonly TunnelReport[],
): Map<string, { ends: LinkEnds; down: boolean }> {
  const links = new Map<string, { ends: LinkEnds; down: boolean }>();
  for (const r of reports) {
    if (!linkable(inventory.host(r.from), inventory.host(r.peer))) continue;
    const key = linkKey(r.from, r.peer);
    const link = links.get(key) ?? { ends: r.from < r.peer ? [r.from, r.peer] : [r.peer, r.from], down: false };
    link.down ||= !r.up;
    links.set(key, link);
  }
  return links;
}
