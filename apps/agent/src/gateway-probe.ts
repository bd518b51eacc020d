import { GATEWAY_LINK_BOUNDS, type GatewayLink } from "@nvi/contracts";
import type { Runner } from "./runner.ts";

/**
 * Measures a gateway's links (issue 15): the round trip through each tunnel and the path MTU across
 * it, by pinging the peer gateway's **tunnel address** from this gateway's own. A gateway's tunnel
 * address is the last address of its instance block (what would be its broadcast address): the TSC
 * never leases it (packages/controller `blockRange` skips network and broadcast), it is inside the
 * block WireGuard's allowed-ips already bind to that gateway, so a probe is authenticated and routed
 * like tenant traffic and needs no extra peer configuration. The agent puts it on the WireGuard
 * interface as a /32 (gateway.ts), and the gateway's nftables let only ICMP from the tunnel reach it.
 *
 * Each round, per peer: three pings 0.2 s apart (the lowest round trip), then DF pings of full-size
 * inner packets down a short ladder (1500, 1420, 1280 bytes) until one crosses: the largest that
 * crossed is the path MTU. About 1.7 kB per peer every few seconds, on its own timer: the heartbeat
 * only reads the last results and never waits for a probe. The probes also keep WireGuard
 * re-handshaking every two minutes, so a fresh handshake means the peer answers, even on an idle link.
 */

/** Inner packet sizes tried with DF set, largest first. */
export const PATH_MTU_LADDER = [1500, 1420, 1280] as const;
/** A round of probes starts this long after the previous one ended. */
export const PROBE_INTERVAL_MS = 5_000;
/** Peers probed at once (each probe is a `ping` child process). */
const PROBE_CONCURRENCY = 4;
/** IPv4 and ICMP headers: a `-s` payload of size − 28 makes an inner packet of `size` bytes. */
const ICMP_OVERHEAD = 28;

/** The tunnel address of a gateway whose instance block is `block` (its last address), e.g. 100.65.3.0/24 → 100.65.3.255. */
export function tunnelAddressOf(block: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(block);
  if (!m) throw new Error(`instance block ${JSON.stringify(block)} is not a CIDR`);
  const value = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(m[5]));
  const last = Math.floor(value / size) * size + size - 1;
  return [24, 16, 8, 0].map((s) => Math.floor(last / 2 ** s) % 256).join(".");
}

/**
 * `ping -q`'s summary: packets sent and answered, and the lowest round trip (ms; null without an
 * answer). The lowest, not the mean: an echo that waited for a WireGuard handshake, or for a loaded
 * host's scheduler, is not the path's latency (the lab measured a 475 ms mean whose first echo had
 * waited for a handshake).
 */
export function parsePing(out: string): { sent: number; received: number; rttMs: number | null } {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  const sent = counts ? Number(counts[1]) : 0;
  const received = counts ? Number(counts[2]) : 0;
  const rtt = /= ([\d.]+)\/[\d.]+\/[\d.]+(?:\/[\d.]+)? ms/.exec(out);
  const avg = rtt ? Number(rtt[1]) : NaN;
  const valid = received > 0 && Number.isFinite(avg) && avg >= 0 && avg <= GATEWAY_LINK_BOUNDS.maxRttMs;
  return { sent, received, rttMs: valid ? avg : null };
}

/** `ip -o link show dev <if>`: its MTU, or undefined. */
export function parseMtu(out: string): number | undefined {
  const m = / mtu (\d+) /.exec(out);
  const mtu = m ? Number(m[1]) : NaN;
  return mtu >= GATEWAY_LINK_BOUNDS.minMtu && mtu <= GATEWAY_LINK_BOUNDS.maxMtu ? mtu : undefined;
}

/** What one round measured of one link (the optional fields of `GatewayLink`). */
export type LinkMeasurement = Required<Pick<GatewayLink, "rttMs" | "pathMtu" | "measuredAt">> &
  Pick<GatewayLink, "tunnelMtu">;

/** A command's output even when it exits non-zero (ping does when nothing answers); "" if it could not run. */
export const outputOf = (run: Runner, cmd: string, args: string[]): Promise<string> =>
  run(cmd, args).catch((e: unknown) => {
    const stdout = (e as { stdout?: unknown }).stdout;
    return typeof stdout === "string" ? stdout : "";
  });

export interface ProbeTarget {
  /** the WireGuard interface */
  wgIf: string;
  /** this gateway's tunnel address (the probes' source) */
  source: string;
  /** the peer gateway's tunnel address */
  peer: string;
}

/** One round on one link: round trip, then the path MTU ladder (skipped when nothing answered). */
export async function measureLink(
  run: Runner,
  t: ProbeTarget,
  now: () => Date = () => new Date(),
): Promise<LinkMeasurement> {
  const base = ["-n", "-q", "-I", t.source];
  const tunnelMtu = parseMtu(await outputOf(run, "ip", ["-o", "link", "show", "dev", t.wgIf]));
  const echo = parsePing(await outputOf(run, "ping", [...base, "-c", "3", "-i", "0.2", "-W", "1", "-w", "2", t.peer]));
  let pathMtu: number | null = null;
  if (echo.received > 0)
    for (const size of PATH_MTU_LADDER) {
      const df = ["-c", "1", "-W", "1", "-M", "do", "-s", String(size - ICMP_OVERHEAD), t.peer];
      if (parsePing(await outputOf(run, "ping", [...base, ...df])).received > 0) {
        pathMtu = size;
        break;
      }
    }
  return { rttMs: echo.rttMs, pathMtu, measuredAt: now().toISOString(), ...(tunnelMtu ? { tunnelMtu } : {}) };
}

/**
 * Probes a gateway's peers on its own timer (`PROBE_INTERVAL_MS` between rounds) and keeps the last
 * measurement per peer (by public address) for the heartbeat. `target(null)` stops probing and
 * forgets everything; a new target keeps the measurements of peers it still names.
 */
export class GatewayProber {
  private targets: { wgIf: string; source: string; peers: { publicAddress: string; tunnelAddress: string }[] } | null =
    null;
  private readonly results = new Map<string, LinkMeasurement>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly run: Runner,
    private readonly intervalMs = PROBE_INTERVAL_MS,
  ) {}

  target(t: GatewayProber["targets"]): void {
    this.targets = t;
    const named = new Set(t?.peers.map((p) => p.publicAddress) ?? []);
    for (const key of this.results.keys()) if (!named.has(key)) this.results.delete(key);
    if (t && !this.timer && !this.running && !this.stopped) this.schedule(0);
  }

  /** The last measurement of the link to `publicAddress`, if any. */
  measurement(publicAddress: string): LinkMeasurement | undefined {
    return this.results.get(publicAddress);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.round();
    }, ms);
    this.timer.unref();
  }

  /** One round over every peer, a few at a time; a failed probe leaves that peer's last result. */
  async round(): Promise<void> {
    const t = this.targets;
    if (!t || this.running) return;
    this.running = true;
    try {
      const queue = [...t.peers];
      const worker = async () => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          const m = await measureLink(this.run, { wgIf: t.wgIf, source: t.source, peer: p.tunnelAddress }).catch(
            () => undefined,
          );
          // the peer may have gone while it was measured
          if (m && this.targets?.peers.some((q) => q.publicAddress === p.publicAddress))
            this.results.set(p.publicAddress, m);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, queue.length) }, worker));
    } finally {
      this.running = false;
      if (this.targets && !this.stopped) this.schedule(this.intervalMs);
    }
  }
}
