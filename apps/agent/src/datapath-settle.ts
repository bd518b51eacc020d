import { connect, type Socket } from "node:net";
import path from "node:path";
import {
  flowMod,
  type OpenFlowMessage,
  type SettleFrame,
  SETTLE_CONTROLLER_ID,
  setControllerIdMessage,
  settleAnswerOut,
  settleFrameOf,
  SwitchSession,
} from "@nvi/openflow";
import type { Log } from "./runner.ts";

/** Where the trigger flow lives: a table no flow of the pipeline sends packets to. */
const TRIGGER_TABLE = 253;
const TRIGGER_COOKIE = 0x4e56_5345_544c_0001n;

/** What one settle needs from ovs-vswitchd: a revalidation round's end, and a flow-table change. */
export interface SettleSwitch {
  /** `revalidator/wait`: answers once a revalidation round that was running or began after it has ended. */
  waitRound(): Promise<void>;
  /** Makes the revalidators start a round now (a change to the flow tables does). */
  trigger(): void;
}

export interface SettleRequest {
  epoch: number;
  seq: number;
}

/**
 * The host's half of the datapath-settle exchange (the wire format is `@nvi/openflow` settle.ts):
 * the TSC asks after deleting flows; the answer says ovs-vswitchd's datapath no longer forwards by
 * anything deleted before the request. `revalidator/wait` answers at the end of the first round
 * to end after it is asked, which may have begun before the request (and missed its deletions), so
 * a settle waits for two: the second began after the first ended, hence after the request. Each
 * wait is paired with a flow-table change so the round starts at once instead of at the
 * revalidators' next tick (up to 500 ms). Requests arriving during a settle are answered together
 * by the next one; the newest request of each round is the one answered (it covers the earlier ones).
 */
export class Settler {
  private wanted: SettleRequest | undefined;
  private running = false;

  constructor(
    private readonly sw: SettleSwitch,
    private readonly answer: (frame: Exclude<SettleFrame, { kind: "request" }>) => void,
  ) {}

  request(r: SettleRequest): void {
    this.wanted = r;
    void this.drain();
  }

  /** Whether a settle is under way or waiting (tests). */
  get busy(): boolean {
    return this.running || this.wanted !== undefined;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.wanted) {
        const r = this.wanted;
        this.wanted = undefined;
        try {
          for (let round = 0; round < 2; round++) {
            const ended = this.sw.waitRound();
            this.sw.trigger();
            await ended;
          }
          this.answer({ kind: "settled", epoch: r.epoch, seq: r.seq });
        } catch (e) {
          this.answer({
            kind: "failed",
            epoch: r.epoch,
            seq: r.seq,
            reason: e instanceof Error ? e.message : String(e),
          });
        }
      }
    } finally {
      this.running = false;
    }
  }
}

/** The trigger: one flow added then deleted in a table nothing reaches (two flow-table changes, nothing left behind). */
export function triggerMods(): OpenFlowMessage[] {
  const flow = { tableId: TRIGGER_TABLE, cookie: TRIGGER_COOKIE, priority: 0, match: {} };
  return [flowMod({ ...flow, command: "add" }), flowMod({ ...flow, command: "deleteStrict", cookieMask: ~0n })];
}

export interface DatapathSettleOptions {
  /** the bridge's local OpenFlow management socket (`<OVS rundir>/<bridge>.mgmt`) */
  mgmtSocket: string;
  /** `revalidator/wait` on ovs-vswitchd's control socket */
  waitRound: () => Promise<void>;
  log: Log;
  /** ms between attempts to (re)connect to the management socket */
  retryMs?: number;
}

/**
 * Keeps the agent's OpenFlow connection to its bridge's management socket (ovs-vswitchd serves
 * it to local root only): it takes the settle controller id, announces itself (so the TSC knows
 * this host settles), and answers each request through a `Settler`. Reconnects until stopped.
 */
export class DatapathSettle {
  private session: SwitchSession | undefined;
  private stopped = false;
  /** the management connection: up, down (said once), or not tried yet */
  private up: boolean | undefined;
  private readonly settler: Settler;

  constructor(private readonly o: DatapathSettleOptions) {
    this.settler = new Settler(
      { waitRound: o.waitRound, trigger: () => triggerMods().forEach((m) => this.session?.send(m)) },
      (frame) => this.session?.send(settleAnswerOut(frame)),
    );
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.session?.close("agent stopping");
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const closed = await this.connectOnce().catch((e: Error) => {
        // once per outage, not at every retry
        if (this.up !== false)
          this.o.log("warn", "datapath settle: cannot reach the bridge's management socket", { error: e.message });
        this.up = false;
        return undefined;
      });
      if (closed !== undefined && this.up && !this.stopped) {
        this.o.log("warn", "datapath settle: the management connection closed; reconnecting", { reason: closed });
        this.up = false;
      }
      await new Promise((r) => setTimeout(r, this.o.retryMs ?? 1_000));
    }
  }

  /** Resolves with why the session closed. */
  private async connectOnce(): Promise<string> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(this.o.mgmtSocket);
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
    const sw = new SwitchSession(socket, { missSendLen: 128 });
    this.session = sw;
    return new Promise<string>((resolve) => {
      sw.on("ready", () => {
        sw.send(setControllerIdMessage(SETTLE_CONTROLLER_ID));
        // unasked: the TSC learns this host settles even if it connected first
        sw.send(settleAnswerOut({ kind: "settled", epoch: 0, seq: 0 }));
        if (!this.up) this.o.log("info", "datapath settle ready", { socket: this.o.mgmtSocket });
        this.up = true;
      });
      sw.on("message", (m) => {
        if (m.type !== "packetIn") return;
        const frame = settleFrameOf(m);
        if (frame?.kind === "request") this.settler.request(frame);
      });
      sw.on("close", (reason) => {
        if (this.session === sw) this.session = undefined;
        resolve(reason);
      });
    });
  }
}

/** Where Open vSwitch keeps its sockets when nothing says otherwise. */
const OVS_RUNDIR = "/var/run/openvswitch";

/**
 * The bridge's management socket and ovs-vswitchd's control socket: beside NVI_OVS_UNIXCTL when it
 * is set (the lab's per-host OVS), else where OVS puts them (the control socket is named by
 * ovs-vswitchd's pid, read from its pidfile at each connection, so a restarted vswitchd is found).
 */
export function ovsSockets(
  bridge: string,
  unixctl: string | undefined,
  readPidfile: (file: string) => Promise<string>,
): { mgmtSocket: string; controlSocket: () => Promise<string> } {
  const rundir = unixctl ? path.dirname(unixctl) : OVS_RUNDIR;
  return {
    mgmtSocket: path.join(rundir, `${bridge}.mgmt`),
    controlSocket: async () => {
      if (unixctl) return unixctl;
      const pid = (await readPidfile(path.join(OVS_RUNDIR, "ovs-vswitchd.pid"))).trim();
      if (!/^\d+$/.test(pid))
        throw new Error(`ovs-vswitchd's pidfile holds no pid (${JSON.stringify(pid.slice(0, 20))})`);
      return path.join(OVS_RUNDIR, `ovs-vswitchd.${pid}.ctl`);
    },
  };
}
