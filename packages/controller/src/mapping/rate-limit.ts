/**
 * What one instance port may cost the slow path (issue 14): packet-ins per port through a token
 * bucket (`perSecond` sustained, `burst` at once), and a bound on the short drop flows a port makes
 * its VEB hold. A port over either limit gets ONE drop flow for all its new conversations (a block),
 * for `blockSeconds`, doubling (up to `maxBlockSeconds`) while it keeps flooding. Pure bookkeeping
 * over a clock in ms; the mapping turns answers into flows.
 */
export interface PortLimits {
  perSecond: number;
  burst: number;
  /** the first block of a port, seconds */
  blockSeconds: number;
  /** the longest block while a port keeps flooding, seconds */
  maxBlockSeconds: number;
  /** short drop flows (denied conversations) one port may hold at once; beyond: the port is blocked */
  maxDenyFlows: number;
}

export const DEFAULT_PORT_LIMITS: PortLimits = {
  perSecond: 100,
  burst: 200,
  blockSeconds: 2,
  maxBlockSeconds: 16,
  maxDenyFlows: 32,
};

/** judge: decide this packet-in; ignore: the port is blocked (its drop flow is in place or on its way); block: install the port's drop now */
export type PortHeld = { kind: "ignore" } | { kind: "block"; seconds: number };
export type PortAdmission = { kind: "judge" } | PortHeld;

interface PortState {
  tokens: number;
  at: number;
  /** ms until which the port's drop flow holds; 0 = not blocked */
  blockedUntil: number;
  /** the length of the last block, seconds (escalation) */
  lastBlock: number;
  /** expiry (ms) of each drop flow of a denied conversation the port holds */
  denyFlows: number[];
}

export class PortGuard {
  private readonly ports = new Map<string, PortState>();

  constructor(private readonly limits: PortLimits = DEFAULT_PORT_LIMITS) {}

  private state(key: string, now: number): PortState {
    let s = this.ports.get(key);
    if (!s) {
      s = { tokens: this.limits.burst, at: now, blockedUntil: 0, lastBlock: 0, denyFlows: [] };
      this.ports.set(key, s);
    }
    return s;
  }

  /** A packet-in arrived from `key` (a VEB's port). */
  admit(key: string, now: number): PortAdmission {
    const s = this.state(key, now);
    if (now < s.blockedUntil) return { kind: "ignore" };
    s.tokens = Math.min(this.limits.burst, s.tokens + ((now - s.at) / 1000) * this.limits.perSecond);
    s.at = now;
    if (s.tokens < 1) return this.block(s, now);
    s.tokens -= 1;
    return { kind: "judge" };
  }

  /** The judge denied a conversation of `key`: may it get its own short drop flow, or is the port blocked instead? */
  denied(key: string, now: number, denySeconds: number): PortHeld | { kind: "deny" } {
    const s = this.state(key, now);
    s.denyFlows = s.denyFlows.filter((until) => until > now);
    if (s.denyFlows.length >= this.limits.maxDenyFlows) return this.block(s, now);
    s.denyFlows.push(now + denySeconds * 1000);
    return { kind: "deny" };
  }

  /** Short drop flows the port holds now (what the VEB holds for it, as far as the TSC asked). */
  denyFlowsOf(key: string, now: number): number {
    return this.ports.get(key)?.denyFlows.filter((until) => until > now).length ?? 0;
  }

  /** Forget a port (its instance left; the next one on that port number starts clean). */
  forget(key: string): void {
    this.ports.delete(key);
  }

  private block(s: PortState, now: number): PortHeld {
    // flooding again soon after the last block ended: twice as long, up to the cap
    const again = s.lastBlock > 0 && now - s.blockedUntil < s.lastBlock * 2000;
    const seconds = again
      ? Math.min(this.limits.maxBlockSeconds, s.lastBlock * 2)
      : Math.min(this.limits.maxBlockSeconds, this.limits.blockSeconds);
    s.lastBlock = seconds;
    s.blockedUntil = now + seconds * 1000;
    // the port's drop covers its denied conversations: their own flows expire on their own
    s.denyFlows = [];
    return { kind: "block", seconds };
  }
}
