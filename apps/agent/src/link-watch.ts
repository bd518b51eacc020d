import { outputOf, parsePing } from "./gateway-probe.ts";
import type { Runner } from "./runner.ts";

/**
 * Watches a gateway's WireGuard links closely enough for failover (issue 15): a gateway whose
 * wireguard-go dies or whose internet link is cut keeps its VEB and fabric port up, so only the
 * tunnel itself tells. Every `intervalMs` (500 ms) one ping per peer, from this gateway's tunnel
 * address to the peer's (gateway-probe.ts), waiting `timeoutMs` for its answer. `misses` probes in a
 * row without an answer make the link down (≈1.5–2 s after it died); one answer makes it up again.
 * Each change is handed to `onChange` at once (the agent reports it to the console without waiting
 * for its next heartbeat). Cost: one 84-byte echo each way per peer twice a second, and a `ping`
 * process per probe; a probe still running at the next tick is not doubled.
 */
export const WATCH_INTERVAL_MS = 500;
export const WATCH_TIMEOUT_MS = 400;
export const WATCH_MISSES = 3;

export interface WatchTarget {
  /** this gateway's tunnel address (the probes' source) */
  source: string;
  peers: { publicAddress: string; tunnelAddress: string }[];
}

interface PeerState {
  tunnelAddress: string;
  /** undefined until the first answer or the first run of misses */
  up: boolean | undefined;
  misses: number;
  busy: boolean;
}

export class LinkWatch {
  private source = "";
  private readonly peers = new Map<string, PeerState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: Runner,
    private readonly onChange: (publicAddress: string, up: boolean) => void,
    private readonly o: { intervalMs?: number; timeoutMs?: number; misses?: number } = {},
  ) {}

  /** What to watch now (null: nothing); peers it still names keep their state. */
  target(t: WatchTarget | null): void {
    const named = new Map(t?.peers.map((p) => [p.publicAddress, p.tunnelAddress]) ?? []);
    for (const [key, p] of this.peers) if (named.get(key) !== p.tunnelAddress) this.peers.delete(key);
    for (const [key, tunnelAddress] of named)
      if (!this.peers.has(key)) this.peers.set(key, { tunnelAddress, up: undefined, misses: 0, busy: false });
    this.source = t?.source ?? "";
    if (t && t.peers.length > 0 && !this.timer) {
      this.timer = setInterval(() => void this.tick(), this.o.intervalMs ?? WATCH_INTERVAL_MS);
      this.timer.unref();
    } else if ((!t || t.peers.length === 0) && this.timer) this.stop();
  }

  /** The link to `publicAddress` as last judged: up, down, or not known yet. */
  verdict(publicAddress: string): boolean | undefined {
    return this.peers.get(publicAddress)?.up;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One probe per peer not still waiting for its last one (tests call it directly). */
  tick(): Promise<void[]> {
    return Promise.all([...this.peers].map(([key, p]) => (p.busy ? Promise.resolve() : this.probe(key, p))));
  }

  private async probe(key: string, p: PeerState): Promise<void> {
    p.busy = true;
    const wait = String((this.o.timeoutMs ?? WATCH_TIMEOUT_MS) / 1000);
    const out = await outputOf(this.run, "ping", [
      "-n",
      "-q",
      "-c",
      "1",
      "-W",
      wait,
      "-I",
      this.source,
      p.tunnelAddress,
    ]);
    p.busy = false;
    if (this.peers.get(key) !== p) return; // no longer watched
    const answered = parsePing(out).received > 0;
    p.misses = answered ? 0 : p.misses + 1;
    const up = answered ? true : p.misses >= (this.o.misses ?? WATCH_MISSES) ? false : p.up;
    if (up === undefined || up === p.up) return;
    p.up = up;
    this.onChange(key, up);
  }
}
