/** The last `capacity` latency samples (ms), summarised as count / p50 / p99 / max. */
export class LatencySamples {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  add(ms: number): void {
    if (this.values.length < this.capacity) this.values.push(ms);
    else this.values[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
  }

  summary(): { count: number; p50: number; p99: number; max: number } {
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    const round = (v: number): number => Math.round(v * 1000) / 1000;
    return { count: sorted.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? 0) };
  }
}
