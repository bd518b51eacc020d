import type { AccessChange, PolicyProtocol, RuleDto } from "@nvi/contracts";
import { describeServices } from "@nvi/policy";

/** "web-1 → db-1: loses any", "web-1 → db-1: gains tcp/80", "…: changes tcp/80 → tcp/443". */
export function describeChange(c: AccessChange): string {
  const pair = `${c.from.name} → ${c.to.name}`;
  if (c.change === "gains" && c.before.length === 0) return `${pair}: gains ${describeServices(c.after)}`;
  if (c.change === "loses" && c.after.length === 0) return `${pair}: loses ${describeServices(c.before)}`;
  return `${pair}: ${c.change} ${describeServices(c.before)} → ${describeServices(c.after)}`;
}

/** `tcp/80`, `udp/53`, `icmp`, `any`: what a rule lets through. */
export function describeRuleService(r: Pick<RuleDto, "protocol" | "ports">): string {
  return describeServices([{ protocol: r.protocol, ports: r.ports }]);
}

/** The rule editor's presets: a protocol and the ports text it fills in. */
export const SERVICE_PRESETS: readonly { id: string; label: string; protocol: PolicyProtocol; ports: string }[] = [
  { id: "http", label: "HTTP (tcp/80)", protocol: "tcp", ports: "80" },
  { id: "https", label: "HTTPS (tcp/443)", protocol: "tcp", ports: "443" },
  { id: "ssh", label: "SSH (tcp/22)", protocol: "tcp", ports: "22" },
  { id: "postgres", label: "PostgreSQL (tcp/5432)", protocol: "tcp", ports: "5432" },
  { id: "dns", label: "DNS (udp/53)", protocol: "udp", ports: "53" },
  { id: "all-tcp", label: "All TCP", protocol: "tcp", ports: "" },
  { id: "ping", label: "ICMP / ping", protocol: "icmp", ports: "" },
  { id: "any", label: "Anything", protocol: "any", ports: "" },
];
