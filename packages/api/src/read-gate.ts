/**
 * Reads wait their turn, changes do not: at most `limit` reads (GET, HEAD) are served at once by
 * this process; the others queue, first come first served, before any work is done for them.
 * Changes (POST, PATCH, PUT, DELETE) never queue here. A console busy with other people's page
 * loads thus serves an unplug beside a handful of reads instead of beside every read that arrived:
 * a Node process shares its CPU among everything in flight, so without the cap a burst of cheap
 * reads delays a policy change by as long as the whole burst takes.
 */
export class ReadGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Reads in flight and queued (for tests and health). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `fn` now if it is a change or a read slot is free, else once one is. */
  async admit<T>(method: string, fn: () => Promise<T>): Promise<T> {
    if (!READS.has(method.toUpperCase())) return fn();
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await fn();
    } finally {
      // the slot goes to the next read in line (it keeps the count), or is freed
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
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
