import {
  bytesToHex,
  FlowModFlags,
  flowMod,
  FlowRemovedReason,
  ipv4ToNumber,
  macToBytes,
  MessageOf,
  NO_BUFFER,
  Port,
} from "@nvi/openflow";
import { OvsLab, startOvsLab } from "@nvi/openflow/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerApp } from "./app.ts";
import { compileSwitchFlows, DesiredSwitchState } from "./test-support/compiler.ts";
import { diffFlows } from "./diff.ts";
import { cookieFor } from "./tables.ts";
import { readFlows, startTsc, Tsc } from "./tsc.ts";

/**
 * The TSC against a real ovs-vswitchd (userspace datapath, fail_mode=secure) in its own network
 * namespaces; see @nvi/openflow/test-support ovs-lab.ts for the topology.
 */
const STRANGER = { ip: "10.0.0.99", mac: "02:00:00:00:00:99" };
let lab: OvsLab;
let tsc: Tsc;
let desired: DesiredSwitchState;
const packetIns: MessageOf<"packetIn">[] = [];
const removed: MessageOf<"flowRemoved">[] = [];
const app: ControllerApp = {
  onPacketIn: (_sw, m) => void packetIns.push(m),
  onFlowRemoved: (_sw, m) => void removed.push(m),
};

const NOTHING: DesiredSwitchState = { policyVersion: 0, endpoints: [], allow: [] };
const start = (port = 0) =>
  startTsc({
    host: lab.controllerIp,
    port,
    insecureTcp: true,
    app,
    desiredFlows: (dpid) => compileSwitchFlows(dpid === lab.datapathId ? desired : NOTHING, Date.now),
  });
const session = () => {
  const s = tsc.switches.get(lab.datapathId);
  if (!s) throw new Error("switch not connected");
  return s;
};
async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const ourFlows = async () =>
  (await lab.ofctl("dump-flows", "br0")).split("\n").filter((l) => l.includes("cookie=0x4e56"));

/** An Ethernet + IPv4 + UDP frame (UDP checksum 0 = none). */
function udpFrame(o: {
  srcMac: string;
  dstMac: string;
  srcIp: string;
  dstIp: string;
  sport: number;
  dport: number;
  payload: string;
}): Uint8Array {
  const payload = Buffer.from(o.payload);
  const b = Buffer.alloc(14 + 20 + 8 + payload.length);
  b.set(macToBytes(o.dstMac), 0);
  b.set(macToBytes(o.srcMac), 6);
  b.writeUInt16BE(0x0800, 12);
  b.writeUInt8(0x45, 14);
  b.writeUInt16BE(20 + 8 + payload.length, 16);
  b.writeUInt8(64, 22);
  b.writeUInt8(17, 23);
  b.writeUInt32BE(ipv4ToNumber(o.srcIp), 26);
  b.writeUInt32BE(ipv4ToNumber(o.dstIp), 30);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, 24);
  b.writeUInt16BE(o.sport, 34);
  b.writeUInt16BE(o.dport, 36);
  b.writeUInt16BE(8 + payload.length, 38);
  payload.copy(b, 42);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

beforeAll(async () => {
  lab = await startOvsLab({ hosts: 2 });
  const [h1, h2] = lab.hosts;
  if (!h1 || !h2) throw new Error("lab without hosts");
  desired = {
    policyVersion: 1,
    endpoints: lab.hosts.map((h) => ({ port: h.ofport, mac: h.mac, ipv4: h.ip })),
    allow: [{ a: h1.ip, b: h2.ip }],
  };
  tsc = await start();
  await lab.pointAt(tsc.address.port);
  await tsc.waitForSwitch(lab.datapathId);
  await lab.udpEcho(h2, 7007);
  // the stranger has no ARP answer (default deny); give both hosts a static entry so IPv4 reaches the switch
  for (const h of lab.hosts)
    await lab.inNs(h.ns, "ip", "neigh", "replace", STRANGER.ip, "lladdr", STRANGER.mac, "dev", "eth0");
}, 30_000);

afterAll(async () => {
  await tsc?.close();
  await lab?.cleanup();
}, 30_000);

describe("TSC against Open vSwitch", () => {
  it("completes the handshake and learns the datapath id and ports", () => {
    const s = session();
    expect(s.state).toBe("ready");
    expect(s.datapathId).toBe(lab.datapathId);
    expect([...s.ports.keys()].sort((a, b) => a - b)).toEqual([1, 2, Port.LOCAL]);
  });

  it("installs the compiled flows: visible in ovs-ofctl dump-flows and identical in its own flow-stats read-back", async () => {
    await tsc.sync(lab.datapathId);
    const want = compileSwitchFlows(desired, Date.now);
    expect(await ourFlows()).toHaveLength(want.length);
    const dump = (await ourFlows()).join("\n");
    expect(dump).toMatch(/table=2.*priority=200.*nw_dst=10\.0\.0\.2.*set_field:02:00:00:00:00:02->eth_dst,output:2/);
    expect(dump).toMatch(/table=1.*arp_tpa=10\.0\.0\.2.*set_field:2->arp_op.*IN_PORT/);
    const back = await readFlows(session());
    expect(diffFlows(back, want)).toMatchObject({ add: [], remove: [] });
  });

  it("forwards real traffic between two namespaces with ARP answered by flows", async () => {
    await tsc.sync(lab.datapathId);
    const [h1, h2] = lab.hosts;
    expect(await lab.udpProbe(h1!, h2!.ip, 7007)).toBe(true);
  });

  it("sends a packet that no pair allows to the TSC as a packet-in", async () => {
    packetIns.length = 0;
    const [h1] = lab.hosts;
    await lab.udpProbe(h1!, STRANGER.ip, 9, 400);
    const pin = await until("packet-in", () =>
      packetIns.find((p) => p.match.inPort === 1 && bytesToHex(p.data.subarray(30, 34)) === "0a000063"),
    );
    expect(pin).toMatchObject({ reason: 0, tableId: 2, bufferId: NO_BUFFER });
    expect(pin.data.length).toBe(pin.totalLen);
  });

  it("delivers a packet-out (the echo it provokes comes back as a packet-in)", async () => {
    packetIns.length = 0;
    const [, h2] = lab.hosts;
    const marker = `nvi-packet-out-${Date.now()}`;
    const data = udpFrame({
      srcMac: STRANGER.mac,
      dstMac: h2!.mac,
      srcIp: STRANGER.ip,
      dstIp: h2!.ip,
      sport: 5555,
      dport: 7007,
      payload: marker,
    });
    session().send({
      type: "packetOut",
      xid: 0,
      bufferId: NO_BUFFER,
      inPort: Port.CONTROLLER,
      actions: [{ type: "output", port: h2!.ofport }],
      data,
    });
    const echo = await until("echo packet-in", () => packetIns.find((p) => Buffer.from(p.data).includes(marker)));
    expect(echo.match.inPort).toBe(h2!.ofport);
  });

  it("receives FLOW_REMOVED when a flow's idle timeout expires", async () => {
    const cookie = cookieFor("REACTIVE", 0xbeef);
    const errors = await session().sendWithBarrier([
      flowMod({
        tableId: 2,
        priority: 50,
        cookie,
        idleTimeout: 1,
        flags: FlowModFlags.SEND_FLOW_REM,
        match: { inPort: 1, ethType: 0x0800, ipv4Dst: "10.0.0.123" },
      }),
    ]);
    expect(errors).toEqual([]);
    const gone = await until("flow-removed", () => removed.find((r) => r.cookie === cookie), 10_000);
    expect(gone).toMatchObject({
      reason: FlowRemovedReason.IDLE_TIMEOUT,
      tableId: 2,
      priority: 50,
      idleTimeout: 1,
      match: { ipv4Dst: "10.0.0.123" },
    });
  });

  it("keeps forwarding while the TSC is down (fail_mode=secure) and reinstalls state when it comes back", async () => {
    const [h1, h2] = lab.hosts;
    await tsc.sync(lab.datapathId);
    const port = tsc.address.port;
    await tsc.close();
    expect(await lab.udpProbe(h1!, h2!.ip, 7007)).toBe(true);
    // drift while we are away: someone deletes the pair's forward flow
    await lab.ofctl(
      "del-flows",
      "br0",
      "--strict",
      `table=2,priority=200,ip,in_port=1,nw_src=${h1!.ip},nw_dst=${h2!.ip}`,
    );
    expect(await lab.udpProbe(h1!, h2!.ip, 7007, 600)).toBe(false); // secure: nothing new is forwarded without the TSC
    const before = (await ourFlows()).length;
    expect(before).toBe(compileSwitchFlows(desired, Date.now).length - 1);
    tsc = await start(port);
    await tsc.waitForSwitch(lab.datapathId);
    expect(await ourFlows()).toHaveLength(before + 1);
    expect(await lab.udpProbe(h1!, h2!.ip, 7007)).toBe(true);
  }, 30_000);
});
