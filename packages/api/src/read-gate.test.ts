import { describe, expect, it } from "vitest";
import { ReadGate } from "./read-gate.ts";

/** A call that finishes when the test says so, and says when it started. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  const state = { started: false };
  return {
    state,
    release,
    fn: () => {
      state.started = true;
      return done;
    },
  };
}
const tick = () => new Promise((r) => setImmediate(r));

describe("ReadGate", () => {
  it("serves at most `limit` reads at once, the others in order of arrival; changes never wait", async () => {
    const gate = new ReadGate(2);
    const reads = [held(), held(), held(), held()];
    const served = reads.map((r, i) => gate.admit(i % 2 ? "get" : "GET", r.fn));
    await tick();
    expect(reads.map((r) => r.state.started)).toEqual([true, true, false, false]);
    expect(gate.load).toEqual({ running: 2, waiting: 2 });

    // the gate is full of reads: a change runs at once all the same
    const change = held();
    const changed = gate.admit("POST", change.fn);
    await tick();
    expect(change.state.started).toBe(true);
    change.release();
    await changed;

    reads[1]!.release();
    await tick();
    expect(reads.map((r) => r.state.started)).toEqual([true, true, true, false]);
    for (const r of reads) r.release();
    await Promise.all(served);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });

  it("a read that fails frees its slot", async () => {
    const gate = new ReadGate(1);
    await expect(gate.admit("GET", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await gate.admit("GET", () => Promise.resolve(42))).toBe(42);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});
