import { describe, expect, it } from "vitest";
import { LinkWatch } from "./link-watch.ts";
import type { Runner } from "./runner.ts";

// what iputils' `ping -q -c 1` prints (Debian 12), answered and not
const ANSWER = `PING 100.65.3.255 (100.65.3.255) from 100.65.1.255 : 56(84) bytes of data.

--- 100.65.3.255 ping statistics ---
1 packets transmitted, 1 received, 0% packet loss, time 0ms
rtt min/avg/max/mdev = 0.612/0.612/0.612/0.000 ms
`;
const SILENCE = `PING 100.65.3.255 (100.65.3.255) from 100.65.1.255 : 56(84) bytes of data.

--- 100.65.3.255 ping statistics ---
1 packets transmitted, 0 received, 100% packet loss, time 0ms
`;

/** A runner whose peers answer while `alive` holds their tunnel address; ping exits 1 on silence, as iputils does. */
function peers(alive: Set<string>) {
  const calls: string[][] = [];
  const run: Runner = (cmd, args) => {
    calls.push([cmd, ...args]);
    const peer = args.at(-1) ?? "";
    if (alive.has(peer)) return Promise.resolve(ANSWER);
    return Promise.reject(Object.assign(new Error("exit 1"), { stdout: SILENCE }));
  };
  return { run, calls };
}

const TARGET = {
  source: "100.65.1.255",
  peers: [
    { publicAddress: "203.0.113.3", tunnelAddress: "100.65.3.255" },
    { publicAddress: "203.0.113.4", tunnelAddress: "100.65.4.255" },
  ],
};

describe("watching a gateway's links", () => {
  it("a link is up at its first answer, down after three misses in a row, up again at an answer; each change told once", async () => {
    const alive = new Set(["100.65.3.255", "100.65.4.255"]);
    const { run, calls } = peers(alive);
    const changes: string[] = [];
    const watch = new LinkWatch(run, (peer, up) => changes.push(`${peer} ${up ? "up" : "down"}`));
    watch.target(TARGET);
    watch.stop(); // ticks driven by the test
    await watch.tick();
    expect(changes).toEqual(["203.0.113.3 up", "203.0.113.4 up"]);
    // one ping per peer from this gateway's tunnel address, answered within 0.4 s
    expect(calls[0]).toEqual(["ping", "-n", "-q", "-c", "1", "-W", "0.4", "-I", "100.65.1.255", "100.65.3.255"]);
    alive.delete("100.65.3.255");
    await watch.tick();
    await watch.tick();
    expect(watch.verdict("203.0.113.3")).toBe(true); // two misses: not yet
    await watch.tick();
    expect(watch.verdict("203.0.113.3")).toBe(false);
    await watch.tick();
    expect(changes).toEqual(["203.0.113.3 up", "203.0.113.4 up", "203.0.113.3 down"]);
    alive.add("100.65.3.255");
    await watch.tick();
    expect(changes.at(-1)).toBe("203.0.113.3 up");
    expect(watch.verdict("203.0.113.4")).toBe(true);
  });

  it("a miss between answers changes nothing (a single lost echo is not a dead link)", async () => {
    const alive = new Set(["100.65.3.255"]);
    const { run } = peers(alive);
    const changes: boolean[] = [];
    const watch = new LinkWatch(run, (_, up) => changes.push(up));
    watch.target({ ...TARGET, peers: [TARGET.peers[0]!] });
    watch.stop();
    for (const answered of [true, false, false, true, false, true]) {
      if (answered) alive.add("100.65.3.255");
      else alive.delete("100.65.3.255");
      await watch.tick();
    }
    expect(changes).toEqual([true]);
  });

  it("a peer no longer named is forgotten, one whose tunnel address changed starts unknown, and null stops the watch", async () => {
    const { run } = peers(new Set(["100.65.3.255", "100.65.4.255", "100.65.9.255"]));
    const watch = new LinkWatch(run, () => undefined);
    watch.target(TARGET);
    watch.stop();
    await watch.tick();
    watch.target({ ...TARGET, peers: [{ publicAddress: "203.0.113.3", tunnelAddress: "100.65.9.255" }] });
    watch.stop();
    expect(watch.verdict("203.0.113.3")).toBeUndefined();
    expect(watch.verdict("203.0.113.4")).toBeUndefined();
    watch.target(null);
    await watch.tick();
    expect(watch.verdict("203.0.113.3")).toBeUndefined();
  });

  it("probes on its own timer twice a second, never two at once for one peer", async () => {
    let running = 0;
    let most = 0;
    let probes = 0;
    const slow: Runner = async () => {
      probes++;
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 120));
      running--;
      return ANSWER;
    };
    const watch = new LinkWatch(slow, () => undefined, { intervalMs: 50 });
    watch.target({ ...TARGET, peers: [TARGET.peers[0]!] });
    await new Promise((r) => setTimeout(r, 400));
    watch.stop();
    expect(most).toBe(1);
    expect(probes).toBeGreaterThanOrEqual(2);
    expect(probes).toBeLessThanOrEqual(4);
  });
});
