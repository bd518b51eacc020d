"use client";

import type { CloudLinkDto } from "@nvi/contracts";
import { cloudLinkText } from "./cloud-link-text.ts";
import { Badge, type Tone } from "./ui/badge.tsx";

const LINK_TONE: Record<CloudLinkDto["state"], Tone> = { encrypted: "ok", down: "bad", "no-gateway": "warn" };

/** One link in words: the state as a badge, then RTT and MTU or the reason. */
export function LinkLine({ link, other }: { link: CloudLinkDto; other?: string }) {
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
