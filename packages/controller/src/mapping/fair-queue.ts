/**
 * Packet-ins waiting for the TSC's judgement, served fairly (issue 14): round robin over tenants,
 * inside a tenant round robin over its ports (a port is a VEB's port, so hosts are served in turn
 * too). Each port keeps at most `perPort` waiting items: beyond that its oldest is dropped, so a
 * flooding port can never push another tenant's first packet back, whatever arrives at once.
 * Draining runs `batch` items per turn of the event loop, so reading the switches' sockets goes on.
 */
export interface FairQueueStats {
  waiting: number;
  dropped: number;
}

interface Waiting<T> {
  item: T;
  done: () => void;
}

export class FairQueue<T> {
  /** tenant → port → waiting items (Map order is the round-robin order; a served key moves to the back) */
  private readonly tenants = new Map<string, Map<string, Waiting<T>[]>>();
  private scheduled = false;
  private counts = { waiting: 0, dropped: 0 };

  constructor(
    private readonly serve: (item: T) => Promise<void> | void,
    private readonly options: { perPort: number; batch: number } = { perPort: 64, batch: 64 },
  ) {}

  /** Queue an item; resolves once it was served (or dropped as its port's oldest). */
  push(tenant: string, port: string, item: T): Promise<void> {
    return new Promise((resolve) => {
      const ports = this.tenants.get(tenant) ?? new Map<string, Waiting<T>[]>();
      this.tenants.set(tenant, ports);
      const queue = ports.get(port) ?? [];
      ports.set(port, queue);
      queue.push({ item, done: resolve });
      this.counts.waiting++;
      if (queue.length > this.options.perPort) {
        queue.shift()?.done();
        this.counts.waiting--;
        this.counts.dropped++;
      }
      this.schedule();
    });
  }

  stats(): FairQueueStats {
    return { ...this.counts };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** The next item in round-robin order: the first tenant's first port, both moved to the back. */
  private next(): Waiting<T> | undefined {
    const [tenant, ports] = this.tenants.entries().next().value ?? [];
    if (tenant === undefined || !ports) return undefined;
    this.tenants.delete(tenant);
    const [port, queue] = ports.entries().next().value ?? [];
    if (port === undefined || !queue) return this.next();
    ports.delete(port);
    const head = queue.shift();
    if (queue.length > 0) ports.set(port, queue);
    if (ports.size > 0) this.tenants.set(tenant, ports);
    this.counts.waiting--;
    return head;
  }

  private drain(): void {
    for (let n = 0; n < this.options.batch; n++) {
      const w = this.next();
      if (!w) break;
      // started in order (each runs up to its first await: the decision and its flow-mods); a failure is its own
      void Promise.resolve()
        .then(() => this.serve(w.item))
        .catch(() => undefined)
        .finally(w.done);
    }
    this.scheduled = false;
    if (this.counts.waiting > 0) this.schedule();
  }
}
