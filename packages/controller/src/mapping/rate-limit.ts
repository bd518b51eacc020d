/**
 * Packet-ins per instance port: a token bucket each (`perSecond` sustained, `burst` at once).
 * A port that runs dry gets one short drop flow per window (`shouldBlock`), not one per packet.
 */
export class PortRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; blockedAt: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(key: string, nowMs: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs, blockedAt: 0 };
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.perSecond);
    b.at = nowMs;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** True at most once per second per key: time to (re)install the port's drop flow. */
  shouldBlock(key: string, nowMs: number): boolean {
    const b = this.buckets.get(key);
    if (!b || nowMs - b.blockedAt < 1000) return false;
    b.blockedAt = nowMs;
    return true;
  }
}
