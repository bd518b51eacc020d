import type { CloudLinkDto, CloudLinkMode } from "@nvi/contracts";

/** How a link between clouds reads: its state in words, round trip and path MTU when measured. */
export const LINK_STATE_WORDS: Record<CloudLinkDto["state"], string> = {
  encrypted: "encrypted",
  direct: "trusted direct",
  down: "down",
  "no-gateway": "no gateway host",
};

/** A link's mode as the mode picker offers it. */
export const LINK_MODE_WORDS: Record<CloudLinkMode, string> = {
  encrypted: "encrypted (WireGuard)",
  direct: "trusted direct (not encrypted)",
};

/** What a trusted direct link is, after its state's words. */
const DIRECT_DETAIL = "private interconnect, not encrypted";

/**
 * A link's words, shared by the Topology page and the cloud cards: `short` for a label ("encrypted ·
 * 0.8 ms · MTU 1500", "trusted, not encrypted"), `detail` for after its state's badge, `long` for an
 * accessible name or a list (with the reason when there is one). A link declared direct whose clouds
 * lack a gateway says it is declared so (`mode` absent: encrypted, the default).
 */
export function cloudLinkText(
  l: Pick<CloudLinkDto, "state" | "reason" | "rttMs" | "pathMtu"> & { mode?: CloudLinkMode | undefined },
): {
  state: CloudLinkDto["state"];
  short: string;
  detail: string | null;
  long: string;
  reason: string | null;
} {
  const rtt = l.rttMs === null ? null : `${l.rttMs < 10 ? l.rttMs.toFixed(1) : Math.round(l.rttMs)} ms`;
  const mtu = l.pathMtu === null ? null : `MTU ${l.pathMtu}`;
  const measured = [rtt && `round trip ${rtt}`, mtu && `path ${mtu}`].filter((x) => x !== null);
  const short = [LINK_STATE_WORDS[l.state], rtt, mtu].filter((x) => x !== null).join(" · ");
  if (l.state === "encrypted") {
    const detail = measured.length ? measured.join(", ") : "not measured yet";
    return { state: l.state, short, detail, long: `encrypted (WireGuard), ${detail}`, reason: null };
  }
  if (l.state === "direct")
    return {
      state: l.state,
      short: "trusted, not encrypted",
      detail: DIRECT_DETAIL,
      long: `${LINK_STATE_WORDS.direct} (${DIRECT_DETAIL})`,
      reason: null,
    };
  const declared = l.mode === "direct" ? " (declared a trusted direct link)" : "";
  return {
    state: l.state,
    short,
    detail: l.reason === null ? null : `${l.reason}${declared}`,
    long: `${LINK_STATE_WORDS[l.state]}: ${l.reason ?? "no reason reported"}${declared}`,
    reason: l.reason,
  };
}

/** What switching a link back to encrypted asks first (a select's keyboard change never switches unasked). */
export function encryptedLinkQuestion(cloud: string, peer: string): string {
  return (
    `Traffic between ${cloud} and ${peer} will then cross the encrypted WireGuard tunnel between their gateways; ` +
    `pairs move within seconds and established connections carry on. Make the link between ${cloud} and ${peer} encrypted?`
  );
}

/**
 * What the console asks before two clouds are joined by a trusted direct link: said plainly, what
 * stops being encrypted and what the interconnect must already do (packages/controller README,
 * "Trusted direct links").
 */
export function directLinkQuestion(cloud: string, peer: string): string {
  return (
    `Traffic between ${cloud} and ${peer} will then cross unencrypted: no WireGuard tunnel, anything on the ` +
    `interconnect can read it. This needs a private interconnect (a leased line, a cloud's interconnect) that ` +
    `routes each gateway's instance block to that gateway; without one, traffic between the two clouds stops. ` +
    `Pairs move to the new path within seconds. Make the link between ${cloud} and ${peer} trusted direct?`
  );
}
