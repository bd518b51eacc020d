import { GatewayLink, type HostFacts } from "@nvi/contracts";
import { listenChannel, type DbTx } from "@nvi/db";
import type { CoreDeps } from "../context.ts";

/**
 * Gateway link health on its way to the TSC (issue 15). A gateway's agent watches each WireGuard
 * link twice a second (apps/agent/src/link-watch.ts) and reports a change at once, in a heartbeat:
 * the facts it carries are the authenticated host's own, and nothing else writes them. When the
 * verdicts of a heartbeat differ from the host's stored ones, `nvi_gateway_links` announces the
 * host's organization in the heartbeat's transaction; the worker then reads every gateway's
 * verdicts of that organization (`tunnelReports`) and hands them to the TSC, which moves the pairs
 * of a gateway whose every link is down (and of a couple of gateways whose link is), through the same
 * damper as a VEB's port status.
 */
export const GATEWAY_LINKS_CHANNEL = "nvi_gateway_links";

/** The link verdicts of some facts, comparable (`peer:up|down`, sorted); links not judged yet are left out. */
function verdictsOf(links: readonly { peerAddress: string; up?: boolean | undefined }[] | null | undefined): string {
  return (links ?? [])
    .filter((l) => l.up !== undefined)
    .map((l) => `${l.peerAddress}:${l.up ? "up" : "down"}`)
    .sort()
    .join(",");
}

/** Stored facts' links, as far as they parse (a row from an older console may hold anything). */
function storedLinks(facts: unknown): GatewayLink[] {
  const links = (facts as { gatewayLinks?: unknown } | null)?.gatewayLinks;
  const parsed = GatewayLink.array().max(1000).safeParse(links);
  return parsed.success ? parsed.data : [];
}

/**
 * In a heartbeat's transaction, before its facts are written: when the host's link verdicts changed,
 * its organization is announced (Postgres delivers it on commit, and only then).
 */
export async function announceLinkChange(
  tx: DbTx,
  host: { id: string; orgId: string },
  facts: Pick<HostFacts, "gatewayLinks">,
): Promise<boolean> {
  const next = verdictsOf(facts.gatewayLinks);
  const row = await tx.host.findUnique({ where: { id: host.id }, select: { facts: true } });
  if (verdictsOf(storedLinks(row?.facts)) === next) return false;
  await tx.$executeRaw`SELECT pg_notify(${GATEWAY_LINKS_CHANNEL}, ${host.orgId})`;
  return true;
}

/** Calls `onChange(orgId)` as a heartbeat that changed a gateway's link verdicts commits. */
export function listenForLinkChanges(
  databaseUrl: string,
  onChange: (orgId: string) => void,
  onError: (e: Error) => void,
  onListening?: () => void,
): { close(): Promise<void> } {
  return listenChannel(databaseUrl, GATEWAY_LINKS_CHANNEL, onChange, onError, onListening);
}

/** One gateway's verdict on its link to another, both named by their approved datapath id (16 hex digits). */
export interface LinkReport {
  from: string;
  peer: string;
  up: boolean;
}

/**
 * Every verdict the gateways heard from since `since` hold now. A report is bound to the host whose
 * heartbeat wrote it (its approved datapath id, never a claim of the report), and its peer is looked
 * up by public address among the gateways of **the same organization** only: a host naming another
 * organization's gateway names nobody. Links not judged yet, and peers not found, are left out.
 */
export async function tunnelReports(deps: CoreDeps, since: Date): Promise<LinkReport[]> {
  const rows = await deps.db.host.findMany({
    where: {
      lastSeenAt: { gte: since },
      datapathId: { not: null },
      gatewayPublicAddress: { not: null },
      cloud: { interconnect: "gateway" },
    },
    select: { orgId: true, datapathId: true, gatewayPublicAddress: true, facts: true },
  });
  const byAddress = new Map(rows.map((r) => [`${r.orgId}|${r.gatewayPublicAddress}`, r.datapathId]));
  return rows.flatMap((r) =>
    storedLinks(r.facts).flatMap((l) => {
      const peer = byAddress.get(`${r.orgId}|${l.peerAddress}`);
      return r.datapathId && peer && l.up !== undefined ? [{ from: r.datapathId, peer, up: l.up }] : [];
    }),
  );
}
