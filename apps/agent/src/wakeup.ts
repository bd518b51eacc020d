/**
 * The heartbeat loop's sleep, which a link change ends early (issue 15: a gateway's link going down
 * reaches the console at once, not at the next heartbeat). A wake while nobody sleeps ends the next
 * sleep at once; several wakes before it are one. `minGapMs` bounds how often a flapping link can
 * make the agent beat: a sleep never ends sooner than that after the previous one ended.
 */
export class Wakeup {
  private end: (() => void) | undefined;
  private pending = false;
  private lastEnd = -Infinity;

  constructor(
    private readonly minGapMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sleeps `ms`, or less when woken (never less than `minGapMs` after the last sleep ended). Answers whether it was woken. */
  async sleep(ms: number): Promise<boolean> {
    const floor = Math.max(0, this.lastEnd + this.minGapMs - this.now());
    const woken = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), ms);
      const finish = (early: boolean) => {
        clearTimeout(timer);
        this.end = undefined;
        resolve(early);
      };
      if (this.pending) {
        this.pending = false;
        finish(true);
      } else this.end = () => finish(true);
    });
    if (woken && floor > 0) await new Promise((r) => setTimeout(r, floor));
    this.lastEnd = this.now();
    return woken;
  }

  wake(): void {
    if (this.end) this.end();
    else this.pending = true;
  }
}
