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
    expect(gate.load).toEqual({ running: 2, waiting: 2, changes: 0 });

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
    expect(gate.load).toEqual({ running: 0, waiting: 0, changes: 0 });
  });

  it("while a change runs, reads go one at a time; the reads already running finish; then the full limit again", async () => {
    const gate = new ReadGate(3);
    const early = [held(), held()];
    const earlyServed = early.map((r) => gate.admit("GET", r.fn));
    const change = held();
    const changed = gate.admit("DELETE", change.fn);
    const late = [held(), held(), held()];
    const lateServed = late.map((r) => gate.admit("GET", r.fn));
    await tick();
    // two reads were running when the change came: none of the late ones starts beside them
    expect([...early, ...late].map((r) => r.state.started)).toEqual([true, true, false, false, false]);
    expect(gate.load).toEqual({ running: 2, waiting: 3, changes: 1 });
    early[0]!.release();
    await tick();
    expect(late.map((r) => r.state.started)).toEqual([false, false, false]);
    early[1]!.release();
    await tick();
    // one read at a time beside the change, never none (changes back to back cannot starve reads)
    expect(late.map((r) => r.state.started)).toEqual([true, false, false]);
    change.release();
    await changed;
    await tick();
    expect(late.map((r) => r.state.started)).toEqual([true, true, true]);
    for (const r of late) r.release();
    await Promise.all([...earlyServed, ...lateServed]);
    expect(gate.load).toEqual({ running: 0, waiting: 0, changes: 0 });
  });

  it("a change that is not put first (an agent's long poll) holds no read back", async () => {
    const gate = new ReadGate(2);
    const poll = held();
    const polled = gate.admit("POST", poll.fn, { putFirst: false });
    const reads = [held(), held()];
    const served = reads.map((r) => gate.admit("GET", r.fn));
    await tick();
    expect(reads.map((r) => r.state.started)).toEqual([true, true]);
    expect(gate.load).toEqual({ running: 2, waiting: 0, changes: 0 });
    for (const r of [poll, ...reads]) r.release();
    await Promise.all([polled, ...served]);
  });

  it("a read that fails frees its slot", async () => {
    const gate = new ReadGate(1);
    await expect(gate.admit("GET", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await gate.admit("GET", () => Promise.resolve(42))).toBe(42);
    expect(gate.load).toEqual({ running: 0, waiting: 0, changes: 0 });
  });
});
