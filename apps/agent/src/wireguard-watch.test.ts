import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { findProcess, processAlive, restartDelayMs, WireguardWatch, type WireguardDeath } from "./wireguard-watch.ts";

/**
 * The watch on wireguard-go, with real processes standing in for it (`sleep N`: N plays the
 * interface name, so each test finds only its own): a killed one is heard of at once, one an
 * earlier agent started is found by its PID and watched, and one that keeps dying is restarted
 * ever more slowly.
 */
const started: { pid: number; wgIf: string }[] = [];
const watches: WireguardWatch[] = [];
/** A process's arguments as /proc shows them ("" when it is gone). */
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
};
afterEach(() => {
  for (const w of watches.splice(0)) w.stop();
  // only our own: a PID freed by a test's kill -9 may already belong to another suite's process
  for (const { pid, wgIf } of started.splice(0))
    try {
      if (cmdline(pid).split(" ").includes(wgIf)) process.kill(pid, "SIGKILL");
    } catch {
      // gone between the read and the kill
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
    started.push({ pid: first, wgIf });
    expect(processAlive(first)).toBe(true);
    process.kill(first, "SIGKILL");
    const death = await until(() => deaths[0], "the death");
    // no backoff the first time: the keeper sets the tunnel up again at once
    expect(death).toEqual({ wgIf, pid: first, deaths: 1, delayMs: 0 });
    await w.ensure(wgIf, false); // what the keeper's restart does through applyGateway
    const second = w.watched!;
    started.push({ pid: second, wgIf });
    expect(second).not.toBe(first);
    expect(processAlive(second)).toBe(true);
  });

  it("finds one an earlier agent started by its PID and hears when it dies", async () => {
    const wgIf = uniqueIf();
    const earlier = spawn("sleep", [wgIf], { detached: true, stdio: "ignore" });
    earlier.unref();
    const pid = earlier.pid!;
    started.push({ pid, wgIf });
    await until(
      () => (processAlive(pid) && cmdline(pid) === `sleep ${wgIf}` ? true : undefined),
      "the earlier process",
    );
    const { w, deaths } = watch();
    await w.ensure(wgIf, true);
    // seen once in CI (null, never reproduced in 400 tries under load): say what /proc showed then
    const seen = {
      watched: w.watched,
      cmdline: cmdline(pid),
      alive: processAlive(pid),
      found: findProcess("sleep", wgIf),
    };
    expect(seen).toMatchObject({ watched: pid });
    process.kill(pid, "SIGKILL");
    expect((await until(() => deaths[0], "the death")).pid).toBe(pid);
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
