/* eslint-disable @typescript-eslint/no-explicit-any -- REST answers and `ip -j` output are JSON, checked by the assertions */
import { spawn, type ChildProcess } from "node:child_process";
import { inNs, run, type HostState } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInstancesJourney, type InstancesJourney } from "./instances-journey.ts";
import type { Journey } from "./journey.ts";
import { capture, sendRawFrames, udpFrameHex } from "./probes.ts";

/**
 * Issue 14, part 1: an instance never reaches its host's own network stack. Open vSwitch's
 * userspace datapath reads an instance's veth with AF_PACKET, which leaves every frame to the host
 * kernel too; the agent's port guard (apps/agent/src/port-guard.ts) keeps the kernel out. From
 * inside an instance, as root: ARP for every address of its host, UDP (unicast to the veth's MAC,
 * broadcast, multicast), a TCP SYN to a listening host port, echoes to the host's addresses, echoes
 * with a forged source (another host's fabric or management address). The host's kernel sees none
 * of it, and no other tenant's instance gets anything; then the same with `ip_forward=1` on the
 * host, where forged frames must not be routed onto the fabric.
 */
let ij: InstancesJourney;
let j: Journey;
let h1: HostState;
let h2: HostState;
/** the attacker: an instance of another VPC on h1 */
const atk = { id: "", ns: "", port: "", portMac: "", address: "" };
/** the victims: a pair of the journey's VPC, web on h1 and db on h2 */
const victims: Record<"web" | "db", { id: string; ns: string; address: string; fabric: string }> = {
  web: { id: "", ns: "", address: "", fabric: "" },
  db: { id: "", ns: "", address: "", fabric: "" },
};
const HOST_PORT = 5931; // the host's listener (TCP and UDP)
const FORWARD_PORT = 5932; // the victim's sink for forged frames routed by the host
const children = new Set<ChildProcess>();

const LISTENER_JS = `const [port] = process.argv.slice(1).map(Number);
require("net").createServer((c) => { console.log("tcp " + c.remoteAddress); c.destroy(); }).listen(port, "0.0.0.0");
const u = require("dgram").createSocket({ type: "udp4", reuseAddr: true });
u.on("message", (m, r) => console.log("udp " + r.address + " " + m));
u.bind(port, "0.0.0.0", () => console.log("ready"));`;

/** A TCP+UDP listener in `ns`: what it received (one line per connection or datagram) when stopped. */
async function listen(ns: string, port: number): Promise<{ stop: () => Promise<string[]> }> {
  const p = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", LISTENER_JS, String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(p);
  p.once("exit", () => children.delete(p));
  let out = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    p.stdout.on("data", () => out.includes("ready") && resolve());
    p.once("exit", (code) => reject(new Error(`listener in ${ns} exited with ${code}`)));
  });
  return {
    async stop() {
      const exited = new Promise((r) => (p.exitCode === null ? p.once("exit", r) : r(null)));
      p.kill("SIGTERM");
      await exited;
      return out.split("\n").filter((l) => l && l !== "ready");
    },
  };
}

/** The host kernel's ICMP echo counters (per namespace): requests it took, replies it sent. */
async function echoCounters(ns: string): Promise<{ inEchos: number; outEchoReps: number }> {
  const lines = (await inNs(ns, "cat", "/proc/net/snmp")).split("\n").filter((l) => l.startsWith("Icmp:"));
  const [names, values] = lines.map((l) => l.split(/\s+/).slice(1));
  const at = (k: string) => Number(values![names!.indexOf(k)]);
  return { inEchos: at("InEchos"), outEchoReps: at("OutEchoReps") };
}

const inAtk = (...args: string[]) => run("ip", ["-n", atk.ns, ...args]);
const pingFromAtk = (to: string, ...extra: string[]) =>
  run("ip", ["netns", "exec", atk.ns, "ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", ...extra, to]).then(
    () => true,
    () => false,
  );

/** Every IPv4 address of h1 but loopback: its fabric address on the VEB, its management address, any other. */
async function hostAddresses(h: HostState): Promise<string[]> {
  const out = JSON.parse(await run("ip", ["-n", h.ns, "-4", "-j", "addr", "show"])) as any[];
  return out.flatMap((l) => (l.ifname === "lo" ? [] : (l.addr_info as any[]).map((a) => a.local as string)));
}

/**
 * Every attack on the host's stack from the attacker; answers what the host's kernel (and h2's, and
 * the victims) showed of it.
 */
async function attackHost(): Promise<{
  neighbours: string[];
  hostHeard: string[];
  victimsHeard: string[];
  echoes: { inEchos: number; outEchoReps: number };
  fromHostOnPort: string[];
  synAcks: string[];
  repliesAtH2: string[];
}> {
  const addrs = await hostAddresses(h1);
  expect(addrs).toEqual(expect.arrayContaining([h1.fabricIp, h1.mgmtIp]));
  const host = await listen(h1.ns, HOST_PORT);
  const sinks = await Promise.all([listen(victims.web.ns, HOST_PORT), listen(victims.db.ns, HOST_PORT)]);
  const before = await echoCounters(h1.ns);
  const neighbours: string[] = [];
  let synAcks: string[] = [];
  let repliesAtH2: string[] = [];
  // whatever the host's kernel sends out of the attacker's port (ARP answers, ICMP errors…)
  const fromHostOnPort = await capture(h1.ns, atk.port, `ether src ${atk.portMac}`, 50, async () => {
    // ARP for each of the host's addresses, as if they were on the instance's link
    for (const a of addrs) {
      await inAtk("route", "replace", `${a}/32`, "dev", "eth0");
      await inAtk("neigh", "del", a, "dev", "eth0").catch(() => undefined);
      await pingFromAtk(a);
      neighbours.push(`${a}: ${(await inAtk("neigh", "show", a, "dev", "eth0")).trim()}`);
    }
    // then straight at the veth's MAC: echoes, a SYN, UDP (unicast, broadcast, multicast)
    for (const a of addrs) await inAtk("neigh", "replace", a, "lladdr", atk.portMac, "dev", "eth0", "nud", "permanent");
    synAcks = await capture(h1.ns, "any", `tcp src port ${HOST_PORT}`, 20, async () => {
      for (const a of addrs) await pingFromAtk(a);
      const send = `const [port, ...to] = process.argv.slice(1); const net = require("net"), u = require("dgram").createSocket("udp4");
        u.bind(() => { u.setBroadcast(true); for (const a of to) u.send("hello " + a, Number(port), a); });
        for (const a of to) if (!a.startsWith("2")) net.connect(Number(port), a).on("error", () => {});
        setTimeout(() => process.exit(0), 1500);`;
      await inAtk("route", "replace", "224.0.0.0/4", "dev", "eth0");
      await inAtk("route", "replace", "255.255.255.255/32", "dev", "eth0");
      await run("ip", [
        "netns",
        "exec",
        atk.ns,
        process.execPath,
        "-e",
        send,
        String(HOST_PORT),
        ...addrs,
        "255.255.255.255",
        "224.0.0.1",
      ]);
    });
    // echoes with a forged source: another host's fabric and management address (the replies would go there)
    repliesAtH2 = await capture(
      h2.ns,
      "any",
      `icmp and (${addrs.map((a) => `src host ${a}`).join(" or ")})`,
      20,
      async () => {
        for (const forged of [h2.fabricIp, h2.mgmtIp]) {
          await inAtk("addr", "add", `${forged}/32`, "dev", "eth0");
          for (const a of addrs) await pingFromAtk(a, "-I", forged);
          await inAtk("addr", "del", `${forged}/32`, "dev", "eth0");
        }
      },
    );
  });
  const after = await echoCounters(h1.ns);
  return {
    neighbours,
    hostHeard: await host.stop(),
    victimsHeard: (await Promise.all(sinks.map((s) => s.stop()))).flat(),
    echoes: { inEchos: after.inEchos - before.inEchos, outEchoReps: after.outEchoReps - before.outEchoReps },
    fromHostOnPort,
    synAcks,
    repliesAtH2,
  };
}

/** What the host's stack (and others) showed of the attacks: every list empty, every count 0, when guarded. */
function findings(r: Awaited<ReturnType<typeof attackHost>>): Record<string, unknown> {
  return {
    "ARP answered by the host through the port": r.neighbours.filter((n) => n.includes("lladdr")),
    "UDP/TCP the host's sockets got": r.hostHeard,
    "echoes the host's kernel took and answered": r.echoes,
    "SYN-ACKs the host sent": r.synAcks,
    "frames the host's kernel sent to the instance": r.fromHostOnPort,
    "replies to forged echoes seen at another host": r.repliesAtH2,
    "what the other tenant's instances got": r.victimsHeard,
  };
}

const NOTHING = {
  "ARP answered by the host through the port": [],
  "UDP/TCP the host's sockets got": [],
  "echoes the host's kernel took and answered": { inEchos: 0, outEchoReps: 0 },
  "SYN-ACKs the host sent": [],
  "frames the host's kernel sent to the instance": [],
  "replies to forged echoes seen at another host": [],
  "what the other tenant's instances got": [],
};

beforeAll(async () => {
  ij = await startInstancesJourney();
  j = ij.j;
  h1 = j.lab.hosts.find((h) => h.dc === 1)!;
  h2 = j.lab.hosts.find((h) => h.dc === 2)!;
  for (const [name, dc] of [
    ["web", "dc1"],
    ["db", "dc2"],
  ] as const) {
    const l = await j.launch(name, dc);
    const op = await j.finished(l.operationId);
    expect(op.status, op.error).toBe("succeeded");
    const i = l.instance;
    victims[name] = {
      id: i.id,
      ns: `${j.lab.name}-n-${i.id}`,
      address: i.address,
      fabric: /fabric address (100\.65\.\d+\.\d+)/.exec(JSON.stringify(op.steps))?.[1] ?? "",
    };
  }
  // the attacker is in another VPC (another tenant's network as far as the data path goes), on h1
  const vpc = await j.stack.call("POST", "/vpcs", { name: "attacker", cidr: "10.41.0.0/16" });
  const sn = await j.stack.call("POST", `/vpcs/${vpc.body.id}/subnets`, {
    name: "atk-dc1",
    cidr: "10.41.1.0/24",
    cloudId: j.clouds.dc1,
  });
  const l = await j.stack.call("POST", "/instances", { name: "atk", subnetId: sn.body.id, runtime: "netns" });
  expect(l.status, JSON.stringify(l.body)).toBe(202);
  const op = await j.finished(l.body.operationId);
  expect(op.status, op.error).toBe("succeeded");
  atk.id = l.body.instance.id;
  atk.ns = `${j.lab.name}-n-${atk.id}`;
  atk.address = l.body.instance.address;
  atk.port = `nv${atk.id.slice(-10)}`;
  atk.portMac = (JSON.parse(await run("ip", ["-n", h1.ns, "-j", "link", "show", atk.port])) as any[])[0].address;
}, 240_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGTERM");
  await ij?.close();
});

describe("an instance never reaches its host's own network stack", () => {
  it("the pair works through the guarded ports, and the victims know their fabric addresses", async () => {
    expect(await j.pingFrom(victims.web.id, victims.db.address)).toBe(true);
    expect(victims.web.fabric).toMatch(/^100\.65\.1\./);
    expect(victims.db.fabric).toMatch(/^100\.65\.2\./);
  });

  it("ARP, UDP, TCP and echoes at every host address, and forged-source echoes, reach nothing", async () => {
    expect(findings(await attackHost())).toEqual(NOTHING);
  });

  it("with ip_forward=1 on the host: the same, and forged frames are not routed onto the fabric", async () => {
    const was = (await inNs(h1.ns, "sysctl", "-n", "net.ipv4.ip_forward")).trim();
    await inNs(h1.ns, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    try {
      // a fresh pair flow between the victims, then frames as if from web's fabric address to db's
      expect(await j.pingFrom(victims.web.id, victims.db.address)).toBe(true);
      const db = await listen(victims.db.ns, FORWARD_PORT);
      const dc1 = j.lab.datacenters.find((d) => d.index === 1)!;
      const forged = [victims.db.fabric, h2.fabricIp, h2.mgmtIp].map((dstIp) =>
        udpFrameHex({
          srcMac: "0a:00:00:00:00:99",
          dstMac: atk.portMac,
          srcIp: victims.web.fabric,
          dstIp,
          dport: FORWARD_PORT,
        }),
      );
      const onFabric = await capture(dc1.ns, "any", `udp dst port ${FORWARD_PORT}`, 20, () =>
        sendRawFrames(atk.ns, forged, 3),
      );
      const routed = {
        "forged frames routed onto the fabric": onFabric,
        "forged frames the other tenant's instance got": await db.stop(),
      };
      expect({ ...routed, ...findings(await attackHost()) }).toEqual({
        "forged frames routed onto the fabric": [],
        "forged frames the other tenant's instance got": [],
        ...NOTHING,
      });
    } finally {
      await inNs(h1.ns, "sysctl", "-qw", `net.ipv4.ip_forward=${was}`);
    }
  });

  it("normal traffic still flows both ways after the attacks", async () => {
    expect(await j.pingFrom(victims.web.id, victims.db.address)).toBe(true);
    expect(await j.pingFrom(victims.db.id, victims.web.address)).toBe(true);
  });
});
