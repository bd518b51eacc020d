import type { PolicyProtocol } from "@nvi/contracts";
import { parsePorts } from "@nvi/policy";

/** How the console names each protocol in its pickers. */
export const PROTOCOL_LABEL: Record<PolicyProtocol, string> = {
  any: "any",
  tcp: "tcp",
  udp: "udp",
  icmp: "icmp (ping)",
};

/** Whether a protocol has ports (tcp and udp do; icmp and "any" don't). */
export const hasPorts = (protocol: string): protocol is "tcp" | "udp" => protocol === "tcp" || protocol === "udp";

/** One port, 1–65535, or null when the text is not one. */
export function parsePort(text: string): number | null {
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= 65535 ? n : null;
}

/**
 * A rule's port list (`443`, `80,443`, `8000-8080`; empty = every port) checked with the policy
 * package's own parser, so the form says what is wrong before it asks for a preview: null when fine.
 */
export function portsError(protocol: string, text: string): string | null {
  if (!hasPorts(protocol)) return null;
  const parsed = parsePorts(text);
  return typeof parsed === "string" ? `ports: ${parsed}` : null;
}
