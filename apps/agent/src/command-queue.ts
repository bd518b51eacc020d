import type { CommandResult, HostCommandBody } from "@nvi/contracts";
import type { PolledCommand } from "./control-plane.ts";

/**
 * How the agent runs the console's commands: several at once, never two of one instance.
 *
 * - A lifecycle command (`instance.start`, `stop`, `resume`, `remove`) waits in its instance's lane:
 *   one instance's commands run one after another, in the order the console handed them out;
 *   different instances' lanes run side by side, at most `lifecycleSlots` at a time, and of those
 *   at most `bootSlots` VM starts or resumes (a guest booting under TCG keeps a core busy for
 *   minutes: more at once would only push each past its boot timeout).
 * - A read (`instance.probe`, `instance.logs`, `veb.trace`) changes nothing: it runs at once, in a
 *   pool of its own (`readSlots`), so a probe never waits behind a VM that is booting.
 * - No command kind touches the whole host today (the VEB is set up at start, the gateway by the
 *   heartbeat); `laneOf` must place every new kind, so one that does gets decided there.
 *
 * Each result is reported once. A report that fails is tried again a few times; one given up on
 * drops the commands still queued behind it in its lane (they and it come again, in order, at the
 * next `resume` poll, as a crashed agent's do) and sets `lost` so the poll loop asks for that.
 */
export interface CommandQueueDeps {
  run: (body: HostCommandBody) => Promise<CommandResult>;
  report: (id: string, result: CommandResult) => Promise<void>;
  log: (level: "info" | "warn", msg: string, fields: Record<string, unknown>) => void;
  /** lifecycle commands running at once (default 4) */
  lifecycleSlots?: number;
  /** VM (qemu) starts and resumes among them (default 2) */
  bootSlots?: number;
  /** reads running at once (default 8) */
  readSlots?: number;
  /** tries of one report before it is given up (default 3), waiting `reportRetryMs` × 2^n between */
  reportTries?: number;
  reportRetryMs?: number;
}

interface Job {
  id: string;
  /** what runs; an unknown command only reports its refusal */
  body: HostCommandBody | null;
  refusal?: string;
}

/** The instance whose lane a command waits in, or null for a read (no lane). */
export function laneOf(body: HostCommandBody): string | null {
  switch (body.kind) {
    case "instance.start":
    case "instance.resume":
      return body.spec.instanceId;
    case "instance.stop":
    case "instance.remove":
      return body.instanceId;
    case "instance.probe":
    case "instance.logs":
    case "veb.trace":
      return null;
  }
}

/** A VM start or resume: a guest boots (minutes under TCG). */
const isBoot = (body: HostCommandBody): boolean =>
  (body.kind === "instance.start" || body.kind === "instance.resume") && body.spec.runtime === "qemu";

export class CommandQueue {
  /** ids queued or running: a command handed out again (redelivery) while it is here is not run twice */
  private readonly known = new Set<string>();
  /** per instance: its queued lifecycle commands; the head runs (or waits for a slot) */
  private readonly lanes = new Map<string, Job[]>();
  /** instances whose head waits for a lifecycle slot, oldest first */
  private readonly waiting: string[] = [];
  private readonly reads: Job[] = [];
  private lifecycleRunning = 0;
  private bootsRunning = 0;
  private readsRunning = 0;
  private readonly idle: (() => void)[] = [];
  /** a result could not be reported: the next poll should resume (get what was handed out again) */
  lost = false;

  constructor(private readonly deps: CommandQueueDeps) {}

  /** Takes a poll's commands in the order given; returns at once (they run in the background). */
  add(commands: readonly PolledCommand[]): void {
    for (const c of commands) {
      if (this.known.has(c.id)) continue;
      this.known.add(c.id);
      const job: Job = "unknown" in c ? { id: c.id, body: null, refusal: c.unknown } : { id: c.id, body: c.body };
      const lane = job.body ? laneOf(job.body) : null;
      if (lane === null) this.reads.push(job);
      else {
        const queued = this.lanes.get(lane);
        if (queued) queued.push(job);
        else {
          this.lanes.set(lane, [job]);
          this.waiting.push(lane);
        }
      }
    }
    this.pump();
  }

  /** Whether an instance has a lifecycle command queued or running (its housekeeping waits). */
  busy(instanceId: string): boolean {
    return this.lanes.has(instanceId);
  }

  /** The commands queued or running here (the console does not hand them out again meanwhile). */
  inFlight(): string[] {
    return [...this.known];
  }

  /** Resolves when nothing is queued or running. */
  drained(): Promise<void> {
    if (this.known.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    const lifecycleSlots = this.deps.lifecycleSlots ?? 4;
    const readSlots = this.deps.readSlots ?? 8;
    while (this.readsRunning < readSlots && this.reads.length > 0) {
      const job = this.reads.shift() as Job;
      this.readsRunning++;
      void this.execute(job).finally(() => {
        this.readsRunning--;
        this.pump();
      });
    }
    const bootSlots = this.deps.bootSlots ?? 2;
    // the oldest waiting lane first; a VM boot past its cap lets the lanes behind it go
    for (let i = 0; this.lifecycleRunning < lifecycleSlots && i < this.waiting.length;) {
      const lane = this.waiting[i] as string;
      const job = this.lanes.get(lane)?.[0];
      const boot = job?.body ? isBoot(job.body) : false;
      if (job && boot && this.bootsRunning >= bootSlots) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      if (!job) continue;
      this.lifecycleRunning++;
      if (boot) this.bootsRunning++;
      void this.execute(job, lane).finally(() => {
        this.lifecycleRunning--;
        if (boot) this.bootsRunning--;
        this.next(lane);
        this.pump();
      });
    }
    if (this.known.size === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** The lane's head is done: the next one waits for a slot, or the lane closes. */
  private next(lane: string): void {
    const queued = this.lanes.get(lane);
    queued?.shift();
    if (queued && queued.length > 0) this.waiting.push(lane);
    else this.lanes.delete(lane);
  }

  private async execute(job: Job, lane?: string): Promise<void> {
    const started = Date.now();
    const result: CommandResult = job.body
      ? await this.deps
          .run(job.body)
          .catch((e: unknown) => ({ ok: false, error: (e instanceof Error ? e.message : String(e)).slice(0, 2000) }))
      : { ok: false, error: job.refusal ?? "unknown command" };
    this.deps.log(result.ok ? "info" : "warn", job.body ? "command done" : "unknown command", {
      id: job.id,
      kind: job.body?.kind,
      ok: result.ok,
      error: result.error,
      ms: Date.now() - started,
    });
    const reported = await this.reportOnce(job.id, result);
    this.known.delete(job.id);
    if (reported || lane === undefined) return;
    // what waited behind it comes again after it, in the order the console keeps
    const queued = this.lanes.get(lane) ?? [];
    for (const dropped of queued.splice(1)) this.known.delete(dropped.id);
  }

  private async reportOnce(id: string, result: CommandResult): Promise<boolean> {
    const tries = this.deps.reportTries ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.report(id, result);
        return true;
      } catch (error) {
        if (attempt >= tries) {
          this.lost = true;
          this.deps.log("warn", "could not report a command's result; it comes again", {
            id,
            error: (error as Error).message,
          });
          return false;
        }
        await new Promise((r) => setTimeout(r, (this.deps.reportRetryMs ?? 1000) * 2 ** (attempt - 1)));
      }
    }
  }
}
