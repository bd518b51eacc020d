import { describe, expect, it } from "vitest";
import { OperationParked, resumeDelayMs } from "./parking.ts";

describe("when a parked wait looks again", () => {
  it("soon at first, a tenth of the wait later on, at most every 5 s, never past the deadline", () => {
    expect(resumeDelayMs(300, 60_000)).toBe(500); // a fresh wait: half a second
    expect(resumeDelayMs(20_000, 60_000)).toBe(2_000);
    expect(resumeDelayMs(110_000, 60_000)).toBe(5_000);
    expect(resumeDelayMs(110_000, 1_200)).toBe(1_200); // the deadline comes first: look then, and fail
    expect(resumeDelayMs(130_000, -5)).toBe(0);
    expect(resumeDelayMs(40_000, 60_000, 1_000)).toBe(1_000); // a wait nothing wakes (the VEBs) looks every second
  });

  it("the parked signal says until when and what for", () => {
    const parked = new OperationParked(Date.UTC(2026, 0, 1), "waiting for host h1's agent");
    expect(parked).toBeInstanceOf(Error);
    expect(parked.message).toBe("parked until 2026-01-01T00:00:00.000Z: waiting for host h1's agent");
  });
});
