import { InstanceState, ofctl, ping, run, tcpProbe } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataplaneLab, startDataplaneLab } from "./harness.ts";
import { httpWho, stream } from "./probes.ts";

/**
 * Issue 15, "several gateways per cloud": two clouds joined only through the internet, each with
 * two gateways (dc1: h1 and h2 behind 1:1 NAT; dc2: h4 and h5 with public addresses) and one host
 * with an instance (a1 on h3, a2 on h6). A TCP stream and a ping run while the gateway that carries
 * the pair has its vswitchd killed (-9): the TSC sees its VEB go and moves the pair to the cloud's
 * other gateway at once; the stream carries on, never reset.
 */
const A = { tenantId: "org_a", vpcId: "vpc_a" };
let lab: DataplaneLab;
const inst: Record<string, InstanceState> = {};
const host = (id: string) => lab.state.hosts.find((h) => h.id === id)!;
const GATEWAYS: Record<number, string[]> = { 1: ["h1", "h2"], 2: ["h4", "h5"] };

/** The gateway of datacenter `dc` whose VEB holds the pair's flows from its tunnel port (undefined: none does). */
async function carrying(dc: number): Promise<string | undefined> {
  for (const id of GATEWAYS[dc]!) {
    const flows = await ofctl(host(id).ovsDir, "dump-flows", "veb0", "in_port=4000,ip").catch(() => "");
    if (/nw_src=100\.65\./.test(flows)) return id;
  }
  return undefined;
}

beforeAll(async () => {
  lab = await startDataplaneLab({ datacenters: 2, hostsPerDc: 3, topology: "internet", gatewaysPerDc: 2 });
  inst.a1 = await lab.instance({ name: "a1", host: "h3", ip: "10.32.0.2/24" }, A);
  inst.a2 = await lab.instance({ name: "a2", host: "h6", ip: "10.32.0.3/24" }, A);
});

afterAll(async () => {
  await lab?.down();
});

/** Runs a TCP stream and a ping from a1 to a2 for 8 s, doing `cut` 2 s in; logs and answers what they saw. */
async function throughCut(label: string, cut: () => Promise<void>) {
  const running = stream(inst.a1!.ns, inst.a2!.ip, 8_000);
  const pinging = run("ip", ["netns", "exec", inst.a1!.ns, "ping", "-n", "-i", "0.1", "-w", "8", inst.a2!.ip]).catch(
    (e: Error) => e.message,
  );
  await new Promise((r) => setTimeout(r, 2_000));
  await cut();
  const result = await running;
  const pings = /\d+ packets transmitted.*/.exec(await pinging)?.[0];
  console.log(`${label}; stream ${JSON.stringify(result)}; ping ${pings}`);
  return result;
}

describe("a cloud with two gateways: one dies, its pairs move to the other, established TCP survives", () => {
  it("dc2's gateway carrying a1 ↔ a2 is killed (vswitchd -9) during a TCP stream and a ping", async () => {
    expect((await ping(inst.a1!.ns, inst.a2!.ip, { count: 1, waitS: 3 })).ok).toBe(true);
    const used = await carrying(2);
    expect(used, "no gateway of dc2 carries the pair").toBeDefined();
    const result = await throughCut(`dc2: killed ${used}'s vswitchd`, () => {
      process.kill(host(used!).pids.vswitchd!, "SIGKILL");
      return Promise.resolve();
    });
    // never reset, and every line sent was echoed back (what was lost in between was retransmitted)
    expect(result.error).toBeNull();
    expect(result.sent).toBeGreaterThan(100);
    expect(result.echoed).toBe(result.sent);
    // the pair now goes through the other gateway; new conversations work too
    expect(await carrying(2)).toBe(GATEWAYS[2]!.find((g) => g !== used));
    expect((await tcpProbe(inst.a1!.ns, inst.a2!.ip)).ok).toBe(true);
    expect(await httpWho(inst.a2!.ns, inst.a1!.ip)).toBe("instance a1");
  });

  it("dc1's gateway carrying a1 ↔ a2 has its link cut (VEB still connected) during a TCP stream; the link comes back", async () => {
    expect((await ping(inst.a1!.ns, inst.a2!.ip, { count: 1, waitS: 3 })).ok).toBe(true);
    const used = await carrying(1);
    expect(used, "no gateway of dc1 carries the pair").toBeDefined();
    const fab = (state: "up" | "down") =>
      run("ip", ["netns", "exec", host(used!).ns, "ip", "link", "set", "fab0", state]);
    try {
      const result = await throughCut(`dc1: cut ${used}'s fabric link`, async () => {
        await fab("down");
      });
      expect(result.error).toBeNull();
      expect(result.sent).toBeGreaterThan(100);
      expect(result.echoed).toBe(result.sent);
      expect(await carrying(1)).toBe(GATEWAYS[1]!.find((g) => g !== used));
    } finally {
      await fab("up");
    }
    // the link is back: the pair may return to it; either way it works
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await ping(inst.a1!.ns, inst.a2!.ip, { count: 2, waitS: 3 })).ok).toBe(true);
    expect(await httpWho(inst.a1!.ns, inst.a2!.ip)).toBe("instance a2");
  });
});
