import { describe, expect, it } from "vitest";
import { VmWatcher, type WatchedVm } from "./qemu-watch.ts";

/** A host's VMs as the watcher sees them: which are wanted, which QEMUs live; restarts revive them. */
function host(ids: string[]) {
  const alive = new Map(ids.map((id) => [id, true]));
  let clock = 0;
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const restarts: string[] = [];
  let failNext = 0;
  const watcher = new VmWatcher({
    list: () => Promise.resolve([...alive].map(([instanceId, a]): WatchedVm => ({ instanceId, alive: a }))),
    restart: (id) => {
      if (failNext > 0) {
        failNext--;
        return Promise.reject(new Error("qemu for x exited right after starting"));
      }
      restarts.push(id);
      alive.set(id, true);
      return Promise.resolve();
    },
    log: (level, msg, fields) => lines.push({ level, msg, fields }),
    now: () => clock,
    baseBackoffMs: 1_000,
    maxBackoffMs: 8_000,
    stableMs: 60_000,
  });
  return {
    watcher,
    lines,
    restarts,
    die: (id: string) => alive.set(id, false),
    stopOnPurpose: (id: string) => alive.delete(id),
    advance: (ms: number) => (clock += ms),
    failRestarts: (n: number) => (failNext = n),
  };
}

describe("the VM watcher", () => {
  it("restarts a VM whose QEMU died after the backoff, logs it, and leaves the others alone", async () => {
    const h = host(["inst_a", "inst_b"]);
    expect(await h.watcher.tick()).toEqual([]);
    h.die("inst_a");
    expect(await h.watcher.tick()).toEqual([]); // found dead: first retry in 1 s
    expect(h.lines.at(-1)).toMatchObject({ level: "warn", msg: "vm watcher: QEMU died", fields: { retryInMs: 1_000 } });
    h.advance(999);
    expect(await h.watcher.tick()).toEqual([]);
    h.advance(1);
    expect(await h.watcher.tick()).toEqual(["inst_a"]);
    expect(h.restarts).toEqual(["inst_a"]);
    expect(h.lines.at(-1)).toMatchObject({
      level: "info",
      msg: "vm watcher: restarted a VM whose QEMU died",
      fields: { instanceId: "inst_a" },
    });
  });

  it("does not restart a VM stopped on purpose (no longer wanted)", async () => {
    const h = host(["inst_a"]);
    await h.watcher.tick();
    h.stopOnPurpose("inst_a");
    h.advance(10_000);
    expect(await h.watcher.tick()).toEqual([]);
    expect(h.restarts).toEqual([]);
  });

  it("backs off exponentially while a VM keeps dying, up to the cap, and forgets after a stable run", async () => {
    const h = host(["inst_a"]);
    await h.watcher.tick();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      h.die("inst_a");
      await h.watcher.tick();
      delays.push(h.lines.at(-1)!.fields.retryInMs as number);
      h.advance(delays.at(-1)!);
      expect(await h.watcher.tick()).toEqual(["inst_a"]);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    h.advance(60_000); // up for a minute
    await h.watcher.tick();
    h.die("inst_a");
    await h.watcher.tick();
    expect(h.lines.at(-1)!.fields.retryInMs).toBe(1_000);
  });

  it("a failed restart is logged and retried later, never thrown", async () => {
    const h = host(["inst_a"]);
    await h.watcher.tick();
    h.die("inst_a");
    await h.watcher.tick();
    h.advance(1_000);
    h.failRestarts(1);
    expect(await h.watcher.tick()).toEqual([]);
    expect(h.lines.at(-1)).toMatchObject({
      level: "warn",
      msg: "vm watcher: restart failed",
      fields: { error: "qemu for x exited right after starting", retryInMs: 2_000 },
    });
    h.advance(1_999);
    expect(await h.watcher.tick()).toEqual([]);
    h.advance(1);
    expect(await h.watcher.tick()).toEqual(["inst_a"]);
  });

  it("a VM found dead when the agent starts (host rebooted) is started at once", async () => {
    const h = host(["inst_a"]);
    h.die("inst_a");
    expect(await h.watcher.tick()).toEqual(["inst_a"]);
  });
});
