import { describe, expect, it } from "vitest";
import { GatewayProber, measureLink, parseMtu, parsePing, tunnelAddressOf } from "./gateway-probe.ts";
import type { Runner } from "./runner.ts";

// what iputils' ping -q prints (captured on the lab's Debian 12)
const ANSWERED = `PING 100.65.3.255 (100.65.3.255) from 100.65.1.255 : 56(84) bytes of data.

--- 100.65.3.255 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 409ms
rtt min/avg/max/mdev = 0.455/0.780/1.096/0.018 ms
`;
const SILENT = `PING 100.65.3.255 (100.65.3.255) from 100.65.1.255 : 56(84) bytes of data.

--- 100.65.3.255 ping statistics ---
3 packets transmitted, 0 received, 100% packet loss, time 2030ms

`;
const TOO_BIG = `PING 100.65.3.255 (100.65.3.255) from 100.65.1.255 : 1472(1500) bytes of data.
ping: local error: message too long, mtu=1420

--- 100.65.3.255 ping statistics ---
1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms

`;
const FRAG_NEEDED = `PING 100.65.3.255 (100.65.3.255) from 100.65.1.255 : 1392(1420) bytes of data.
From 100.65.3.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)

--- 100.65.3.255 ping statistics ---
1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms
`;
const DF_OK = (
  size: number,
) => `PING 100.65.3.255 (100.65.3.255) from 100.65.1.255 : ${size - 28}(${size}) bytes of data.

--- 100.65.3.255 ping statistics ---
1 packets transmitted, 1 received, 0% packet loss, time 0ms
rtt min/avg/max/mdev = 0.912/0.912/0.912/0.000 ms
`;
const LINK =
  "7: nvi-wg0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UNKNOWN mode DEFAULT group default qlen 500\\    link/none ";

describe("reading what the probes printed", () => {
  it("the lowest round trip of the answered pings; none when nothing answered or ping failed locally", () => {
    expect(parsePing(ANSWERED)).toEqual({ sent: 3, received: 3, rttMs: 0.455 });
    expect(parsePing(SILENT)).toEqual({ sent: 3, received: 0, rttMs: null });
    expect(parsePing(TOO_BIG)).toEqual({ sent: 1, received: 0, rttMs: null });
    expect(parsePing(FRAG_NEEDED)).toEqual({ sent: 1, received: 0, rttMs: null });
    expect(parsePing("")).toEqual({ sent: 0, received: 0, rttMs: null });
    // a round trip nobody believes (over a minute) is not reported
    expect(parsePing(ANSWERED.replace("0.455", "99999.000")).rttMs).toBeNull();
  });

  it("the tunnel interface's MTU", () => {
    expect(parseMtu(LINK)).toBe(1500);
    expect(parseMtu(LINK.replace("mtu 1500", "mtu 1420"))).toBe(1420);
    expect(parseMtu('Device "nvi-wg0" does not exist.')).toBeUndefined();
    expect(parseMtu(LINK.replace("mtu 1500", "mtu 99999999"))).toBeUndefined();
  });

  it("a gateway's tunnel address is its block's last address, which the TSC never leases", () => {
    expect(tunnelAddressOf("100.65.3.0/24")).toBe("100.65.3.255");
    expect(tunnelAddressOf("100.66.0.0/16")).toBe("100.66.255.255");
    expect(tunnelAddressOf("100.65.3.8/29")).toBe("100.65.3.15");
    expect(() => tunnelAddressOf("100.65.3.0")).toThrow(/not a CIDR/);
  });
});

/** A gateway whose tunnel answers pings up to `pathMtu` bytes (null: nothing answers); records the commands. */
function tunnel(pathMtu: number | null, tunnelMtu = 1500) {
  const ran: string[] = [];
  const run: Runner = (cmd, args) => {
    ran.push(`${cmd} ${args.join(" ")}`);
    if (cmd === "ip") return Promise.resolve(LINK.replace("mtu 1500", `mtu ${tunnelMtu}`));
    const s = args.indexOf("-s");
    const size = s >= 0 ? Number(args[s + 1]) + 28 : 84;
    if (pathMtu === null) return Promise.reject(Object.assign(new Error("exit 1"), { stdout: SILENT }));
    if (size > tunnelMtu) return Promise.reject(Object.assign(new Error("exit 1"), { stdout: TOO_BIG }));
    if (size > pathMtu) return Promise.reject(Object.assign(new Error("exit 1"), { stdout: FRAG_NEEDED }));
    return Promise.resolve(s >= 0 ? DF_OK(size) : ANSWERED);
  };
  return { run, ran };
}
const at = () => new Date("2026-12-05T12:00:00Z");
const target = { wgIf: "nvi-wg0", source: "100.65.1.255", peer: "100.65.3.255" };

describe("measuring a link", () => {
  it("a clean tunnel: the round trip, and a full 1500-byte inner packet crosses with DF set", async () => {
    const t = tunnel(1500);
    expect(await measureLink(t.run, target, at)).toEqual({
      rttMs: 0.455,
      pathMtu: 1500,
      tunnelMtu: 1500,
      measuredAt: "2026-12-05T12:00:00.000Z",
    });
    expect(t.ran).toContain("ping -n -q -I 100.65.1.255 -c 3 -i 0.2 -W 1 -w 2 100.65.3.255");
    expect(t.ran).toContain("ping -n -q -I 100.65.1.255 -c 1 -W 1 -M do -s 1472 100.65.3.255");
  });

  it("a path that drops the full size: the largest rung of the ladder that crossed", async () => {
    expect((await measureLink(tunnel(1450).run, target, at)).pathMtu).toBe(1420);
    expect((await measureLink(tunnel(1300).run, target, at)).pathMtu).toBe(1280);
    expect((await measureLink(tunnel(1000).run, target, at)).pathMtu).toBeNull();
    // a smaller tunnel MTU is reported, and what crosses is bounded by it
    expect(await measureLink(tunnel(1500, 1420).run, target, at)).toMatchObject({ tunnelMtu: 1420, pathMtu: 1420 });
  });

  it("a silent peer: no round trip, no path MTU, and no DF probes sent after the echo went unanswered", async () => {
    const t = tunnel(null);
    expect(await measureLink(t.run, target, at)).toMatchObject({ rttMs: null, pathMtu: null });
    expect(t.ran.filter((l) => l.includes("-M do"))).toEqual([]);
  });
});

describe("the prober", () => {
  const peers = [
    { publicAddress: "203.0.113.3", tunnelAddress: "100.65.3.255" },
    { publicAddress: "203.0.113.4", tunnelAddress: "100.65.4.255" },
  ];

  it("keeps the last measurement per peer; a peer the console no longer names is forgotten", async () => {
    const p = new GatewayProber(tunnel(1500).run, 60_000);
    p.target({ wgIf: "nvi-wg0", source: "100.65.1.255", peers });
    await p.round();
    expect(p.measurement("203.0.113.3")).toMatchObject({ rttMs: 0.455, pathMtu: 1500 });
    expect(p.measurement("203.0.113.4")).toMatchObject({ rttMs: 0.455, pathMtu: 1500 });
    p.target({ wgIf: "nvi-wg0", source: "100.65.1.255", peers: peers.slice(0, 1) });
    expect(p.measurement("203.0.113.4")).toBeUndefined();
    p.target(null);
    expect(p.measurement("203.0.113.3")).toBeUndefined();
    p.stop();
  });

  it("probes on its own timer: a hung probe never holds up the caller, and rounds never overlap", async () => {
    let calls = 0;
    let released = false;
    const waiting: (() => void)[] = [];
    const release = () => ((released = true), waiting.splice(0).forEach((r) => r()));
    const hung: Runner = () => {
      calls++;
      return released ? Promise.resolve("") : new Promise((resolve) => waiting.push(() => resolve("")));
    };
    const p = new GatewayProber(hung, 60_000);
    p.target({ wgIf: "nvi-wg0", source: "100.65.1.255", peers: peers.slice(0, 1) });
    const first = p.round();
    await p.round(); // returns at once: a round is already running
    expect(calls).toBe(1);
    expect(p.measurement("203.0.113.3")).toBeUndefined();
    release();
    await first;
    p.stop();
  });
});
