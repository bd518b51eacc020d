import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { processAlive, restartDelayMs, WireguardWatch, type WireguardDeath } from "./wireguard-watch.ts";

/**
 * The watch on wireguard-go, with real processes standing in for it (`sleep N`: N plays the
 * interface name, so each test finds only its own): a killed one is heard of at once, one an
 * earlier agent started is found by its PID and watched, and one that keeps dying is restarted
 * ever more slowly.
 */
const started: number[] = [];
const watches: WireguardWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.stop();
  for (const pid of started.splice(0))
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
});

/** A name only this test's processes carry: `sleep` takes it as a duration of about an hour. */
const uniqueIf = () => `${3000 + Math.floor(Math.random() * 500)}.${Math.floor(Math.random() * 1e6)}`;

async function until<T>(what: () => T | undefined, label: string, withinMs = 15_000): Promise<T> {
  for (const end = Date.now() + withinMs; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const value = what();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${label}`);
}

function watch(command = "sleep") {
  const deaths: WireguardDeath[] = [];
  const w = new WireguardWatch({
    command,
    args: (wgIf) => [wgIf],
    ready: () => Promise.resolve(true),
    onDied: (d) => deaths.push(d),
  });
  watches.push(w);
  return { w, deaths };
}

describe("the watch on wireguard-go", () => {
  it("starts it as a detached child, hears its kill -9 at once, and starts a new one", async () => {
    const wgIf = uniqueIf();
    const { w, deaths } = watch();
    await w.ensure(wgIf, false);
    const first = w.watched!;
    started.push(first);
    expect(processAlive(first)).toBe(true);
    process.kill(first, "SIGKILL");
    const death = await until(() => deaths[0], "the death");
    // no backoff the first time: the keeper sets the tunnel up again at once
    expect(death).toEqual({ wgIf, pid: first, deaths: 1, delayMs: 0 });
    await w.ensure(wgIf, false); // what the keeper's restart does through applyGateway
    const second = w.watched!;
    started.push(second);
    expect(second).not.toBe(first);
    expect(processAlive(second)).toBe(true);
  });

  it("finds one an earlier agent started by its PID and hears when it dies", async () => {
    const wgIf = uniqueIf();
    const earlier = spawn("sleep", [wgIf], { detached: true, stdio: "ignore" });
    earlier.unref();
    started.push(earlier.pid!);
    await until(() => (processAlive(earlier.pid!) ? true : undefined), "the earlier process");
    const { w, deaths } = watch();
    await w.ensure(wgIf, true);
    expect(w.watched).toBe(earlier.pid);
    process.kill(earlier.pid!, "SIGKILL");
    expect((await until(() => deaths[0], "the death")).pid).toBe(earlier.pid);
    expect(w.watched).toBeNull();
  });

  it("one that keeps dying at once is restarted with a growing delay; stop() ends the watch", async () => {
    const { w, deaths } = watch("true");
    for (let i = 0; i < 3; i++) {
      const seen = deaths.length;
      await w.ensure(uniqueIf(), false).catch(() => undefined);
      await until(() => (deaths.length > seen ? true : undefined), `death ${i + 1}`);
    }
    expect(deaths.map((d) => [d.deaths, d.delayMs])).toEqual([
      [1, 0],
      [2, 250],
      [3, 500],
    ]);
    w.stop();
    expect(w.watched).toBeNull();
  });

  it("the delay doubles up to 10 s", () => {
    expect([1, 2, 3, 4, 8, 20].map(restartDelayMs)).toEqual([0, 250, 500, 1000, 10_000, 10_000]);
  });
});
