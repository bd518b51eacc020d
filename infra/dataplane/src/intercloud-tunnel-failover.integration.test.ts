import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { InstanceState, ofctl, ping, run } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchGatewayLinks } from "./gateways.ts";
import { DataplaneLab, startDataplaneLab } from "./harness.ts";
import { httpWho, stream } from "./probes.ts";

/**
 * Issue 15, a gateway whose tunnel dies while its VEB and fabric port stay up: the TSC sees nothing
 * from OpenFlow. Two clouds joined only through the internet, each with two gateways (dc1: h1 and h2
 * behind 1:1 NAT; dc2: h4 and h5 with public addresses), a1 on h3 and a2 on h6. Every gateway's
 * links are watched by the agent's own code (a ping twice a second) and the verdicts reach the TSC
 * as the worker hands them on (`watchGatewayLinks`). A TCP stream and a ping run while the gateway
 * of dc2 that carries the pair has (a) its wireguard-go killed (-9, by the PID of the process the
 * lab started) and then, with the pair on the other gateway, (b) that one's internet cable cut, and
 * (c) a partial cut: only the link between the two gateways carrying the pair is cut, each keeps its
 * link to the other cloud's other gateway (no gateway is down). The stream is never reset and traffic
 * flows again within 3 s; the measured gaps are printed.
 */
const exec = promisify(execFile);
const A = { tenantId: "org_a", vpcId: "vpc_a" };
let lab: DataplaneLab;
let stopWatching = () => undefined as void;
const inst: Record<string, InstanceState> = {};
const host = (id: string) => lab.state.hosts.find((h) => h.id === id)!;
const DC1 = ["h1", "h2"];
const DC2 = ["h4", "h5"];
const changes: string[] = [];

/** The gateway of dc2 (or `dc`'s) whose VEB holds the pair's flows from its tunnel port (undefined: none does). */
async function carrying(dc = DC2): Promise<string | undefined> {
  for (const id of dc) {
    const flows = await ofctl(host(id).ovsDir, "dump-flows", "veb0", "in_port=4000,ip").catch(() => "");
    if (/nw_src=100\.65\./.test(flows)) return id;
  }
  return undefined;
}

/** The PID of the wireguard-go serving interface `wgIf` (each lab host has its own name): the process the lab started. */
async function wireguardGoPid(wgIf: string): Promise<number> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (argv[0]?.endsWith("wireguard-go") && argv[1] === wgIf) return Number(entry);
  }
  throw new Error(`no wireguard-go serves ${wgIf}`);
}

/**
 * The longest silence of a `ping -i 0.1` run, in ms: the most echo requests in a row that got no
 * answer (by icmp_seq), counting those after the last answer up to the last one sent (a path that
 * never came back is one long silence, not a short one), times the 100 ms between them.
 */
function longestGapMs(out: string): number {
  const sent = Number(/(\d+) packets transmitted/.exec(out)?.[1] ?? 0);
  const answered = [...out.matchAll(/bytes from .*icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
  const marks = [0, ...answered, sent + 1];
  return marks.slice(1).reduce((gap, seq, i) => Math.max(gap, (seq - marks[i]! - 1) * 100), 0);
}

/** A TCP stream and a ping (every 100 ms) from a1 to a2 for 10 s, doing `cut` 2 s in. */
async function throughCut(label: string, cut: () => Promise<void>) {
  const running = stream(inst.a1!.ns, inst.a2!.ip, 10_000);
  // node's own execFile: a ping that lost some answers exits 1, and its whole output is wanted
  const pinging = exec("ip", ["netns", "exec", inst.a1!.ns, "ping", "-n", "-i", "0.1", "-w", "10", inst.a2!.ip])
    .then((r) => r.stdout)
    .catch((e: Error & { stdout?: string }) => e.stdout ?? e.message);
  await new Promise((r) => setTimeout(r, 2_000));
  await cut();
  const result = await running;
  const out = await pinging;
  const pingGapMs = Math.round(longestGapMs(out));
  const pings = /\d+ packets transmitted.*/.exec(out)?.[0];
  const load = (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" ");
  console.log(
    `${label}: ping gap ${pingGapMs} ms (${pings}); TCP stream ${JSON.stringify(result)}; load ${load}; link changes ${changes.join(", ")}`,
  );
  changes.length = 0;
  return { ...result, pingGapMs };
}

beforeAll(async () => {
  lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 3, topology: "internet", gatewaysPerDc: 2 });
  inst.a1 = await lab.instance({ name: "a1", host: "h3", ip: "10.32.0.2/24" }, A);
  inst.a2 = await lab.instance({ name: "a2", host: "h6", ip: "10.32.0.3/24" }, A);
  stopWatching = watchGatewayLinks(lab.state, (reports, change) => {
    changes.push(change);
    lab.mapping.tunnelReports(reports);
  });
  // every link proven up before anything is cut
  await new Promise((r) => setTimeout(r, 2_000));
});

afterAll(async () => {
  stopWatching();
  await lab?.down();
});

describe("a gateway's tunnel dies, its VEB still up: its pairs move to the other gateway, established TCP survives", () => {
  it("(a) dc2's gateway carrying a1 ↔ a2 has its wireguard-go killed (-9)", async () => {
    expect((await ping(inst.a1!.ns, inst.a2!.ip, { count: 1, waitS: 3 })).ok).toBe(true);
    const used = await carrying();
    expect(used, "no gateway of dc2 carries the pair").toBeDefined();
    const pid = await wireguardGoPid(host(used!).gateway!.wgIf);
    const result = await throughCut(`(a) killed ${used}'s wireguard-go (pid ${pid})`, () => {
      process.kill(pid, "SIGKILL");
      return Promise.resolve();
    });
    // never reset, every line echoed (what was lost in between was retransmitted), and a short gap
    expect(result.error).toBeNull();
    expect(result.sent).toBeGreaterThan(100);
    expect(result.echoed).toBe(result.sent);
    expect(result.pingGapMs).toBeLessThan(3_000);
    expect(await carrying()).toBe(DC2.find((g) => g !== used));
    // its VEB never went: only the link reports moved the pair
    expect(lab.tsc.switches.has(BigInt(`0x${host(used!).datapathId}`))).toBe(true);
    expect(await httpWho(inst.a2!.ns, inst.a1!.ip)).toBe("instance a1");
  });

  it("(b) the gateway now carrying it has its internet cable cut", async () => {
    const used = await carrying();
    expect(used, "no gateway of dc2 carries the pair").toBeDefined();
    // (a)'s gateway comes back first (its agent would start wireguard-go again at its next heartbeat)
    await lab.gatewayHeartbeat();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await carrying()).toBeDefined();
    const now = (await carrying())!;
    const cable = `g${now.slice(1)}`;
    const wan = (state: "up" | "down") =>
      run("ip", ["netns", "exec", lab.state.internet!.ns, "ip", "link", "set", cable, state]);
    try {
      const result = await throughCut(`(b) cut ${now}'s internet cable (${cable})`, async () => {
        await wan("down");
      });
      expect(result.error).toBeNull();
      expect(result.sent).toBeGreaterThan(100);
      expect(result.echoed).toBe(result.sent);
      expect(result.pingGapMs).toBeLessThan(3_000);
      expect(await carrying()).toBe(DC2.find((g) => g !== now));
    } finally {
      await wan("up");
    }
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await ping(inst.a1!.ns, inst.a2!.ip, { count: 2, waitS: 3 })).ok).toBe(true);
  });

  it("(c) only the link between the two gateways carrying it is cut (a partial cut): it moves to a couple whose link is up", async () => {
    // whatever ran before, every gateway's tunnel up and proven again
    await lab.gatewayHeartbeat();
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await ping(inst.a1!.ns, inst.a2!.ip, { count: 2, waitS: 3 })).ok).toBe(true);
    const [near, far] = [await carrying(DC1), await carrying(DC2)];
    expect(near && far, "no couple of gateways carries the pair").toBeTruthy();
    const [p, q] = [host(near!).gateway!.publicIp, host(far!).gateway!.publicIp];
    // on the internet between them, and nowhere else: both keep their link to the other cloud's other gateway
    const nft = (...args: string[]) => run("ip", ["netns", "exec", lab.state.internet!.ns, "nft", ...args]);
    await nft("add", "table", "inet", "nvi_partial_cut");
    try {
      await nft("add chain inet nvi_partial_cut cut { type filter hook forward priority 0 ; policy accept ; }");
      const result = await throughCut(`(c) cut the link ${near} (${p}) ↔ ${far} (${q}) only`, async () => {
        await nft("add", "rule", "inet", "nvi_partial_cut", "cut", "ip", "saddr", p, "ip", "daddr", q, "drop");
        await nft("add", "rule", "inet", "nvi_partial_cut", "cut", "ip", "saddr", q, "ip", "daddr", p, "drop");
      });
      expect(result.error).toBeNull();
      expect(result.sent).toBeGreaterThan(100);
      expect(result.echoed).toBe(result.sent);
      expect(result.pingGapMs).toBeLessThan(3_000);
      const [near2, far2] = [await carrying(DC1), await carrying(DC2)];
      expect(`${near2} ↔ ${far2}`).not.toBe(`${near} ↔ ${far}`);
      // neither gateway went down: one of the two still carries it
      expect(near2 === near || far2 === far).toBe(true);
    } finally {
      await nft("delete", "table", "inet", "nvi_partial_cut");
    }
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await ping(inst.a1!.ns, inst.a2!.ip, { count: 2, waitS: 3 })).ok).toBe(true);
  });
});
