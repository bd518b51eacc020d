"use client";

import type { CloudDto, CloudLinkDto } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/client.tsx";
import { cloudLinkText } from "./cloud-link-text.ts";
import { Badge, type Tone } from "./ui/badge.tsx";

const LINK_TONE: Record<CloudLinkDto["state"], Tone> = { encrypted: "ok", down: "bad", "no-gateway": "warn" };
const HOST_TONE = { online: "ok", stale: "warn", offline: "bad" } as const;

/** One link in words: the state as a badge, then RTT and MTU or the reason. */
function LinkLine({ link, other }: { link: CloudLinkDto; other?: string }) {
  const text = cloudLinkText(link);
  return (
    <li data-testid="cloud-link-row" data-state={link.state}>
      {other ? <>to {other}</> : <>{`${link.a.name} ↔ ${link.b.name}`}</>}:{" "}
      <Badge tone={LINK_TONE[link.state]}>{link.state === "no-gateway" ? "no gateway host" : link.state}</Badge>{" "}
      <span className={link.state === "encrypted" ? "muted" : ""}>
        {link.state === "encrypted" ? text.long.replace(/^encrypted \(WireGuard\), /, "") : link.reason}
      </span>
    </li>
  );
}

/** The links between gateway clouds as a list: the Topology canvas's text alternative. */
export function CloudLinksList({ links }: { links: readonly CloudLinkDto[] }) {
  if (links.length === 0) return null;
  return (
    <section className="card" aria-label="Links between clouds" data-testid="cloud-links">
      <h2>Links between clouds</h2>
      <ul className="plain">
        {links.map((l) => (
          <LinkLine key={`${l.a.cloudId}-${l.b.cloudId}`} link={l} />
        ))}
      </ul>
    </section>
  );
}

/** A gateway cloud's card: its gateway hosts with their health, and its links to the other gateway clouds. */
export function CloudGateways({ cloud }: { cloud: CloudDto }) {
  const trpc = useTRPC();
  const enabled = cloud.interconnect === "gateway";
  const hosts = useQuery(trpc.host.list.queryOptions({ cloudId: cloud.id }, { refetchInterval: 10_000, enabled }));
  const links = useQuery(trpc.cloud.links.queryOptions(undefined, { refetchInterval: 10_000, enabled }));
  if (!enabled) return null;
  const gateways = (hosts.data ?? []).filter((h) => h.gatewayPublicAddress);
  const mine = (links.data ?? []).filter((l) => l.a.cloudId === cloud.id || l.b.cloudId === cloud.id);
  return (
    <section aria-label={`Gateways of ${cloud.name}`} data-testid="cloud-gateways">
      <h3>Gateways and links</h3>
      {hosts.data && gateways.length === 0 && (
        <p className="muted">
          No gateway host yet: make one of this cloud&apos;s hosts a gateway to join other clouds.
        </p>
      )}
      <ul className="plain">
        {gateways.map((h) => (
          <li key={h.id} data-testid="cloud-gateway">
            {h.name} at {h.gatewayPublicAddress} <Badge tone={HOST_TONE[h.status]}>{h.status}</Badge>
          </li>
        ))}
      </ul>
      {mine.length > 0 && (
        <ul className="plain">
          {mine.map((l) => (
            <LinkLine
              key={`${l.a.cloudId}-${l.b.cloudId}`}
              link={l}
              other={l.a.cloudId === cloud.id ? l.b.name : l.a.name}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
