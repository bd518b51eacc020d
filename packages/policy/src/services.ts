import type { PortRange, Service } from "@nvi/contracts";

/**
 * Sets of services (protocol + port ranges) in a canonical form, so two sets compare by value:
 * `any` swallows everything; per protocol either "every port" (no ranges) or merged, sorted ranges.
 */

export const ANY: readonly Service[] = [{ protocol: "any", ports: [] }];

function mergeRanges(ranges: readonly PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ from: r.from, to: r.to });
  }
  return out;
}

/** Union of services, canonical: at most one entry per protocol, `any` alone when present. */
export function normalize(services: readonly Service[]): Service[] {
  if (services.some((s) => s.protocol === "any")) return [{ protocol: "any", ports: [] }];
  const out: Service[] = [];
  for (const protocol of ["icmp", "tcp", "udp"] as const) {
    const mine = services.filter((s) => s.protocol === protocol);
    if (mine.length === 0) continue;
    if (protocol === "icmp" || mine.some((s) => s.ports.length === 0)) out.push({ protocol, ports: [] });
    else out.push({ protocol, ports: mergeRanges(mine.flatMap((s) => s.ports)) });
  }
  return out;
}

export function isAny(services: readonly Service[]): boolean {
  return services.some((s) => s.protocol === "any");
}

/** Does the set carry a packet of this protocol (and destination port, for tcp/udp)? */
export function covers(
  services: readonly Service[],
  probe: { protocol: "icmp" | "tcp" | "udp"; port: number | null },
): boolean {
  return services.some((s) => {
    if (s.protocol === "any") return true;
    if (s.protocol !== probe.protocol) return false;
    if (s.ports.length === 0 || probe.port === null) return s.ports.length === 0 || probe.protocol === "icmp";
    return s.ports.some((r) => probe.port! >= r.from && probe.port! <= r.to);
  });
}

/** Is every packet `b` carries also carried by `a`? Both canonical. */
export function includes(a: readonly Service[], b: readonly Service[]): boolean {
  if (isAny(a)) return true;
  return b.every((s) => {
    if (s.protocol === "any") return false;
    const same = a.find((x) => x.protocol === s.protocol);
    if (!same) return false;
    if (same.ports.length === 0) return true;
    if (s.ports.length === 0) return false;
    return s.ports.every((r) => same.ports.some((x) => r.from >= x.from && r.to <= x.to));
  });
}

export function sameServices(a: readonly Service[], b: readonly Service[]): boolean {
  return includes(a, b) && includes(b, a);
}

/** How access changed from `before` to `after`, or null when it did not. */
export function changeOf(before: readonly Service[], after: readonly Service[]): "gains" | "loses" | "changes" | null {
  const gained = !includes(before, after);
  const lost = !includes(after, before);
  if (gained && lost) return "changes";
  if (gained) return "gains";
  if (lost) return "loses";
  return null;
}

/** `tcp/443`, `tcp/8000-8080,9000`, `udp`, `icmp`, `any`. */
export function describeService(s: Service): string {
  if (s.protocol === "any" || s.protocol === "icmp" || s.ports.length === 0) return s.protocol;
  return `${s.protocol}/${s.ports.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(",")}`;
}

export function describeServices(services: readonly Service[]): string {
  return services.length === 0 ? "nothing" : services.map(describeService).join(", ");
}

/** Parses `443`, `80,443`, `8000-8080` into ranges; an empty text means every port. */
export function parsePorts(text: string): PortRange[] | string {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const out: PortRange[] = [];
  for (const p of parts) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
    if (!m) return `"${p}" is not a port or a range like 8000-8080`;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to > 65535 || from > to) return `"${p}": ports run from 1 to 65535, low to high`;
    out.push({ from, to });
  }
  return mergeRanges(out);
}
