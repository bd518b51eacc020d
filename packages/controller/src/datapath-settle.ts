import { randomInt } from "node:crypto";
import { MessageOf, SettleFrame, settleFrameOf, settleRequestOut, SwitchSession } from "@nvi/openflow";

/** How long a host whose agent settles may take before the VEB is reported unconfirmed. */
const SETTLE_TIMEOUT_MS = 2_000;

/**
 * What became of a VEB's datapath cache after a change: `settled` (the host's agent saw a full
 * revalidation round that began after the request end), or not, with the reason and whether the
 * host has an agent that settles at all (one that never answered: a bare switch, an older agent).
 */
export type SettleOutcome =
  { settled: true; ms: number } | { settled: false; ms: number; reason: string; agent: boolean };

interface Waiter {
  seq: number;
  resolve: (o: SettleOutcome) => void;
  started: number;
  timer: NodeJS.Timeout;
}

interface SessionSettle {
  /** this session's own number in every request: answers carrying another are not for it */
  epoch: number;
  seq: number;
  /** an agent has answered on this session (a settle frame arrived): waits are worth making */
  agent: boolean;
  waiters: Waiter[];
}

/**
 * The TSC's half of the datapath-settle exchange (`@nvi/openflow` settle.ts has the wire format).
 * Each served session is asked once when it is served, so a host with an agent is known to settle
 * before any change needs it (the agent also announces itself when it connects). A wait resolves
 * when the agent answers a sequence number at or past the one asked; several changes in flight
 * share whatever round answers them. Nothing here ever rejects.
 */
export class DatapathSettle {
  private readonly sessions = new WeakMap<SwitchSession, SessionSettle>();

  constructor(private readonly timeoutMs = SETTLE_TIMEOUT_MS) {}

  private of(sw: SwitchSession): SessionSettle {
    let s = this.sessions.get(sw);
    if (!s) {
      s = { epoch: randomInt(1, 2 ** 32), seq: 0, agent: false, waiters: [] };
      this.sessions.set(sw, s);
      sw.on("close", () => this.end(sw, "the switch disconnected"));
    }
    return s;
  }

  /** A newly served session: one request, so an agent present answers and is known. */
  probe(sw: SwitchSession): void {
    const s = this.of(sw);
    this.send(sw, ++s.seq);
  }

  /** Whether this PACKET_IN was a settle answer (then it is consumed: nothing else should judge it). */
  onPacketIn(sw: SwitchSession, m: MessageOf<"packetIn">): boolean {
    const frame = settleFrameOf(m);
    if (!frame) return false;
    if (frame.kind !== "request") this.answered(sw, frame);
    return true;
  }

  /** Ask the switch's host to settle its datapath cache; resolves when it has, or why it has not. */
  settle(sw: SwitchSession | undefined): Promise<SettleOutcome> {
    if (!sw || sw.state === "closed")
      return Promise.resolve({ settled: false, ms: 0, reason: "the switch is not connected", agent: false });
    const s = this.of(sw);
    if (!s.agent)
      return Promise.resolve({
        settled: false,
        ms: 0,
        reason: "no agent on this host answers for its datapath cache",
        agent: false,
      });
    const seq = ++s.seq;
    const started = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        s.waiters = s.waiters.filter((w) => w !== waiter);
        resolve({
          settled: false,
          ms: performance.now() - started,
          reason: `the host's agent did not confirm its datapath cache within ${this.timeoutMs} ms`,
          agent: true,
        });
      }, this.timeoutMs);
      const waiter: Waiter = { seq, resolve, started, timer };
      s.waiters.push(waiter);
      this.send(sw, seq);
    });
  }

  private send(sw: SwitchSession, seq: number): void {
    try {
      sw.send(settleRequestOut(this.of(sw).epoch, seq));
    } catch {
      // a session closing under us: its waiters end with it
    }
  }

  private answered(sw: SwitchSession, frame: Exclude<SettleFrame, { kind: "request" }>): void {
    const s = this.of(sw);
    s.agent = true;
    if (frame.epoch !== s.epoch) return;
    const done = s.waiters.filter((w) => w.seq <= frame.seq);
    s.waiters = s.waiters.filter((w) => w.seq > frame.seq);
    for (const w of done) {
      clearTimeout(w.timer);
      const ms = performance.now() - w.started;
      w.resolve(
        frame.kind === "settled"
          ? { settled: true, ms }
          : { settled: false, ms, reason: `the host's agent could not settle: ${frame.reason}`, agent: true },
      );
    }
  }

  private end(sw: SwitchSession, reason: string): void {
    const s = this.sessions.get(sw);
    if (!s) return;
    for (const w of s.waiters) {
      clearTimeout(w.timer);
      w.resolve({ settled: false, ms: performance.now() - w.started, reason, agent: true });
    }
    s.waiters = [];
  }
}
