import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";

/**
 * Keeps a gateway's wireguard-go running (issue 15): the agent starts it in the foreground as its
 * own detached child (so the interface still outlives an agent restart) and hears at once when it
 * exits; one found already running (started by an earlier agent) is watched by its PID, read from
 * /proc. When it dies, `onDied` is called (the gateway keeper sets the whole tunnel up again, since
 * the interface, its addresses, peers and routes went with the process) after a delay that doubles
 * while it keeps dying soon after each start (none the first time, then 250 ms … 10 s), so a
 * wireguard-go that cannot run does not spin the host. Without this, the next heartbeat (≤ 10 s)
 * was the first to notice.
 */

export interface WireguardDeath {
  wgIf: string;
  pid: number;
  /** how long the agent waits before `onDied` (the backoff) */
  delayMs: number;
  /** consecutive quick deaths so far (1: the first) */
  deaths: number;
}

export interface WireguardWatchOptions {
  onDied: (death: WireguardDeath) => void;
  /** the program and its arguments (tests give a stand-in) */
  command?: string;
  args?: (wgIf: string) => string[];
  /** whether the started process serves the interface yet (default: its UAPI socket answers) */
  ready?: (wgIf: string) => Promise<boolean>;
  /** how often a PID is checked (a child's exit is heard at once anyway) */
  pollMs?: number;
  now?: () => number;
}

/** A run that lasted this long resets the backoff. */
export const STEADY_MS = 30_000;
const MAX_DELAY_MS = 10_000;
const READY_WITHIN_MS = 5_000;

/** The delay before restarting after the `deaths`-th quick death in a row. */
export function restartDelayMs(deaths: number): number {
  return deaths <= 1 ? 0 : Math.min(MAX_DELAY_MS, 250 * 2 ** (deaths - 2));
}

/** Whether a process is alive: it exists and is no zombie (an orphan nobody reaped). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    if (existsSync("/proc/self/stat")) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** The PID of a running `command` whose arguments name `wgIf` (a wireguard-go an earlier agent started), or null. */
export function findProcess(command: string, wgIf: string): number | null {
  const name = path.basename(command);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (path.basename(argv[0] ?? "") === name && argv.slice(1).includes(wgIf) && processAlive(Number(entry)))
      return Number(entry);
  }
  return null;
}

/** Whether wireguard-go's UAPI socket for `wgIf` takes a connection (a stale file left by a killed one does not). */
export function uapiAnswers(wgIf: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(`/var/run/wireguard/${wgIf}.sock`);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class WireguardWatch {
  private pid: number | null = null;
  private wgIf = "";
  private startedAt = 0;
  private deaths = 0;
  private poll: ReturnType<typeof setInterval> | null = null;
  private readonly command: string;
  private readonly args: (wgIf: string) => string[];
  private readonly ready: (wgIf: string) => Promise<boolean>;
  private readonly now: () => number;

  constructor(private readonly o: WireguardWatchOptions) {
    this.command = o.command ?? "wireguard-go";
    this.args = o.args ?? ((wgIf) => ["-f", wgIf]);
    this.ready = o.ready ?? uapiAnswers;
    this.now = o.now ?? Date.now;
  }

  /** The PID watched now (null: none). */
  get watched(): number | null {
    return this.pid;
  }

  /**
   * Called by applyGateway: wireguard-go for `wgIf` runs (`running`: the interface answers) and is
   * watched. Starts it when it does not run; adopts one an earlier agent started.
   */
  async ensure(wgIf: string, running: boolean): Promise<void> {
    this.wgIf = wgIf;
    if (running) {
      if (this.pid === null || !processAlive(this.pid)) this.adopt(findProcess(this.command, wgIf));
      return;
    }
    await this.start(wgIf);
  }

  /** Stops watching (the host is no gateway any more); never kills anything. */
  stop(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    this.pid = null;
    this.deaths = 0;
  }

  private adopt(pid: number | null): void {
    this.pid = pid;
    if (pid === null) return;
    this.startedAt = this.now();
    this.poll ??= setInterval(() => {
      if (this.pid !== null && !processAlive(this.pid)) this.gone(this.pid);
    }, this.o.pollMs ?? 250);
    this.poll.unref();
  }

  private async start(wgIf: string): Promise<void> {
    // foreground (-f): our child, its exit heard at once; detached with no pipes, so it outlives us
    const child = spawn(this.command, this.args(wgIf), { detached: true, stdio: "ignore" });
    child.unref();
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    let exited = false;
    const pid = child.pid ?? -1;
    child.once("exit", () => {
      exited = true;
      this.gone(pid);
    });
    this.adopt(pid);
    for (const until = this.now() + READY_WITHIN_MS; !(await this.ready(wgIf)); await sleep(50)) {
      if (exited) throw new Error(`${this.command} exited at once (pid ${pid})`);
      if (this.now() > until) throw new Error(`${this.command} does not serve ${wgIf} after ${READY_WITHIN_MS} ms`);
    }
  }

  private gone(pid: number): void {
    if (pid !== this.pid) return;
    this.pid = null;
    this.deaths = this.now() - this.startedAt >= STEADY_MS ? 1 : this.deaths + 1;
    const death = { wgIf: this.wgIf, pid, deaths: this.deaths, delayMs: restartDelayMs(this.deaths) };
    setTimeout(() => this.o.onDied(death), death.delayMs).unref();
  }
}
