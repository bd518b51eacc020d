/**
 * Reads wait their turn, changes do not: at most `limit` reads (GET, HEAD) are served at once by
 * this process, and only `limitDuringChanges` while a change is being served; the others queue,
 * first come first served, before any work is done for them. Changes (POST, PATCH, PUT, DELETE)
 * never queue here. A console busy with other people's page loads thus serves an unplug beside one
 * read instead of beside every read that arrived: a Node process shares its CPU among everything in
 * flight, and each of a change's round trips to Postgres resumes behind whatever work is ready, so
 * the fewer reads run beside it, the sooner it commits. Reads never stop altogether (changes coming
 * back to back cannot starve them), and the reads already running when a change arrives finish.
 */
export class ReadGate {
  private running = 0;
  private changes = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    readonly limitDuringChanges = 1,
  ) {}

  /** Reads in flight and queued, changes in flight (for tests and health). */
  get load(): { running: number; waiting: number; changes: number } {
    return { running: this.running, waiting: this.waiting.length, changes: this.changes };
  }

  /**
   * Runs `fn` now if it is a change or a read slot is free, else once one is. A change made with
   * `putFirst: false` (a host agent's heartbeat or long poll: nobody waits on it to see a policy
   * take effect, and a long poll lasts seconds) runs at once without holding reads back.
   */
  async admit<T>(method: string, fn: () => Promise<T>, { putFirst = true }: { putFirst?: boolean } = {}): Promise<T> {
    if (!READS.has(method.toUpperCase())) {
      if (!putFirst) return fn();
      this.changes++;
      try {
        return await fn();
      } finally {
        this.changes--;
        this.startWaiting();
      }
    }
    if (this.running >= this.currentLimit()) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      // the slot goes to the next read in line (it keeps the count) if the limit still allows it, else it is freed
      const next = this.running <= this.currentLimit() ? this.waiting.shift() : undefined;
      if (next) next();
      else this.running--;
    }
  }

  private currentLimit(): number {
    return this.changes > 0 ? this.limitDuringChanges : this.limit;
  }

  /** A change ended: queued reads take the slots its end gave back. */
  private startWaiting(): void {
    while (this.running < this.currentLimit() && this.waiting.length > 0) {
      this.running++;
      this.waiting.shift()!();
    }
  }
}

const READS = new Set(["GET", "HEAD"]);

/** Reads served at once per process: enough to keep Postgres and the CPU busy, few enough that a change is not drowned. */
export const READS_IN_FLIGHT = 8;

/**
 * The process's gate, shared by the REST and tRPC entry points and the console pages' server-side
 * reads. Kept on `globalThis`: Next.js may load this module once per bundle layer (route handlers,
 * server components), and two gates would let twice the reads through.
 */
export const readGate: ReadGate = ((globalThis as { nviReadGate?: ReadGate }).nviReadGate ??= new ReadGate(
  READS_IN_FLIGHT,
));
