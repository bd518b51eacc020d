"use client";

import type { CloudLinkDto } from "@nvi/contracts";
import type { ReactNode } from "react";
import { cloudLinkText, LINK_STATE_WORDS } from "./cloud-link-text.ts";
import { Badge, type Tone } from "./ui/badge.tsx";

/** A trusted direct link is neither healthy nor failing as far as the console knows (it is not measured): neutral. */
const LINK_TONE: Record<CloudLinkDto["state"], Tone> = {
  encrypted: "ok",
  direct: "muted",
  down: "bad",
  "no-gateway": "warn",
};

/** One link in words: the state as a badge, then RTT and MTU or the reason; `children` after it (a mode picker). */
export function LinkLine({ link, other, children }: { link: CloudLinkDto; other?: string; children?: ReactNode }) {
  const text = cloudLinkText(link);
  return (
    <li data-testid="cloud-link-row" data-state={link.state} data-mode={link.mode}>
      {other ? <>to {other}</> : <>{`${link.a.name} ↔ ${link.b.name}`}</>}:{" "}
      <Badge tone={LINK_TONE[link.state]}>{LINK_STATE_WORDS[link.state]}</Badge>{" "}
      <span className={link.state === "encrypted" || link.state === "direct" ? "muted" : ""}>{text.detail}</span>
      {children}
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
