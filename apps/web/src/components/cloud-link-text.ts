import type { CloudLinkDto } from "@nvi/contracts";

/** How a link between clouds reads: its state in words, round trip and path MTU when measured. */
const STATE_WORDS: Record<CloudLinkDto["state"], string> = {
  encrypted: "encrypted",
  down: "down",
  "no-gateway": "no gateway host",
};

/**
 * A link's words, shared by the Topology page and the cloud cards: `short` for a label ("encrypted ·
 * 0.8 ms · MTU 1500"), `long` for an accessible name or a list (with the reason when there is one).
 */
export function cloudLinkText(l: Pick<CloudLinkDto, "state" | "reason" | "rttMs" | "pathMtu">): {
  state: CloudLinkDto["state"];
  short: string;
  long: string;
  reason: string | null;
} {
  const rtt = l.rttMs === null ? null : `${l.rttMs < 10 ? l.rttMs.toFixed(1) : Math.round(l.rttMs)} ms`;
  const mtu = l.pathMtu === null ? null : `MTU ${l.pathMtu}`;
  const short = [STATE_WORDS[l.state], rtt, mtu].filter((x) => x !== null).join(" · ");
  const measured = [rtt && `round trip ${rtt}`, mtu && `path ${mtu}`].filter((x) => x !== null);
  const long =
    l.state === "encrypted"
      ? `encrypted (WireGuard), ${measured.length ? measured.join(", ") : "not measured yet"}`
      : `${STATE_WORDS[l.state]}: ${l.reason ?? "no reason reported"}`;
  return { state: l.state, short, long, reason: l.state === "encrypted" ? null : l.reason };
}
