import { describe, expect, it } from "vitest";
import { Wakeup } from "./wakeup.ts";

describe("the heartbeat's sleep, ended early by a link change", () => {
  it("sleeps its time when nobody wakes it", async () => {
    const w = new Wakeup(0);
    const t0 = Date.now();
    expect(await w.sleep(60)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it("a wake ends it at once; one that came while nobody slept ends the next sleep at once; several are one", async () => {
    const w = new Wakeup(0);
    const t0 = Date.now();
    setTimeout(() => w.wake(), 20);
    expect(await w.sleep(10_000)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1_000);
    w.wake();
    w.wake();
    expect(await w.sleep(10_000)).toBe(true);
    const t1 = Date.now();
    expect(await w.sleep(50)).toBe(false);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(45);
  });

  it("a flapping link makes it beat at most once per gap", async () => {
    const w = new Wakeup(100);
    const flapping = setInterval(() => w.wake(), 5);
    const t0 = Date.now();
    let beats = 0;
    while (Date.now() - t0 < 500) {
      await w.sleep(10_000);
      beats++;
    }
    clearInterval(flapping);
    // without the gap: about 100
    expect(beats).toBeLessThanOrEqual(7);
    expect(beats).toBeGreaterThanOrEqual(3);
  });
});
