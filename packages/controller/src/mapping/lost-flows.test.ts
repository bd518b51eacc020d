import { describe, expect, it } from "vitest";
import { deleteStrictFlowMod } from "../flow.ts";
import { FlowTable } from "../flow-table.ts";
import { cookieKind } from "../tables.ts";
import { fabricHost, tenantEndpoint } from "../test-support/fabric.ts";
import { arrive, tcpPacket } from "../test-support/frames.ts";
import { A, B, G1, G3, H2, H4, walk } from "../test-support/gateway-clouds.ts";
import { MemorySwitches } from "../test-support/memory-switches.ts";
import { NviMapping } from "./mapping.ts";
import { type FabricEndpoint, type FabricHost, Inventory, type PairPolicy, sameVpcPolicy } from "./model.ts";

/**
 * A VEB that comes back without its pair flows (its vswitchd restarted; or, after a TSC restart,
 * the one VEB of a pair that lost them) while the pair's other VEBs keep theirs: the sender's flow
 * still matches, so no packet-in ever repairs the black hole. The read-back makes the pair whole.
 */
const P1 = fabricHost(1, 1);
const P2 = fabricHost(2, 1);
const X = tenantEndpoint("x", P1, 2, "10.0.0.2");
const Y = tenantEndpoint("y", P2, 3, "10.0.0.3");

/** A TSC over `hosts` (connected in order), with `endpoints` plugged; `tables`: a restart over these VEBs' tables. */
async function world(
  hosts: FabricHost[],
  endpoints: FabricEndpoint[],
  o: { tables?: Map<bigint, FlowTable>; policy?: PairPolicy } = {},
) {
  const inventory = new Inventory();
  for (const h of hosts) inventory.upsertHost(h);
  if (o.tables) for (const e of endpoints) inventory.plug(e);
  const mapping = new NviMapping({ inventory, clock: () => Date.UTC(2026, 11, 7), policy: o.policy });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const h of hosts) await switches.connect(h.datapathId, o.tables?.get(h.datapathId));
  if (!o.tables) for (const e of endpoints) await mapping.plug(e);
  return { mapping, switches };
}

const mappingFlows = (switches: MemorySwitches, h: FabricHost) =>
  switches
    .table(h.datapathId)
    .flows()
    .filter((f) => cookieKind(f.cookie) === "MAPPING");

/** s's packet to d across the two hosts of one segment: what d's VEB delivers, and whether the TSC was asked. */
async function cross(switches: MemorySwitches, s: FabricEndpoint, d: FabricEndpoint) {
  const out = await switches.inject(s.datapathId, tcpPacket(s, d));
  const wire = out.outputs[0] ?? switches.released.at(-1)?.trace.outputs[0];
  if (!wire) throw new Error("nothing left the sender's VEB");
  const dHost = d.datapathId === P1.datapathId ? P1 : P2;
  const delivered = await switches.inject(d.datapathId, arrive(wire.packet, 1, wire.packet.ethSrc!, dHost.fabricMac));
  return { asked: out.toController.length > 0, delivered: delivered.outputs.map((o) => o.port) };
}

/** The tables as the VEBs hold them, with `emptied` come back empty (vswitchd restarted). */
const tablesOf = (switches: MemorySwitches, hosts: FabricHost[], emptied: FabricHost) =>
  new Map(hosts.map((h) => [h.datapathId, h === emptied ? new FlowTable() : switches.table(h.datapathId)]));

describe("a VEB that lost its pair flows gets them back at its read-back", () => {
  it("its vswitchd restarted under a running TSC: the pair is whole again, both ways, without a packet-in", async () => {
    const { mapping, switches } = await world([P1, P2], [X, Y]);
    expect(await cross(switches, X, Y)).toEqual({ asked: true, delivered: [Y.port] });
    const held = mappingFlows(switches, P2);
    switches.disconnect(P2.datapathId);
    await switches.connect(P2.datapathId, new FlowTable());
    expect(mappingFlows(switches, P2)).toEqual(held);
    expect(mapping.stats()).toMatchObject({ activePairs: 1, restoredFlows: held.length, packetIns: 1 });
    expect(await cross(switches, X, Y)).toEqual({ asked: false, delivered: [Y.port] });
    expect(await cross(switches, Y, X)).toEqual({ asked: false, delivered: [X.port] });
  });

  it("a direction that idled out on all its VEBs is not lost: a reconnection brings back only what the VEB lost", async () => {
    const { mapping, switches } = await world([P1, P2], [X, Y]);
    await cross(switches, X, Y);
    // Y → X went quiet: its flows idle out on both VEBs (Y's way out on P2, its way in on P1)
    const fX = mapping.fabricAddressOf("x");
    const quiet = [
      ...mappingFlows(switches, P2)
        .filter((f) => f.match.inPort === Y.port)
        .map((f) => [P2, f] as const),
      ...mappingFlows(switches, P1)
        .filter((f) => f.match.ipv4Dst === fX)
        .map((f) => [P1, f] as const),
    ];
    expect(quiet).toHaveLength(2);
    for (const [h, f] of quiet) {
      switches.table(h.datapathId).apply(deleteStrictFlowMod(f));
      mapping.flowRemoved(h.datapathId, {
        type: "flowRemoved",
        xid: 0,
        reason: 0,
        durationSec: 0,
        durationNsec: 0,
        idleTimeout: 300,
        hardTimeout: 0,
        packetCount: 0n,
        byteCount: 0n,
        ...f,
      });
    }
    const held = mappingFlows(switches, P2);
    switches.disconnect(P2.datapathId);
    await switches.connect(P2.datapathId, new FlowTable());
    expect(mappingFlows(switches, P2)).toEqual(held);
    expect(mapping.stats()).toMatchObject({ activePairs: 1, restoredFlows: 1 });
    expect(await cross(switches, X, Y)).toEqual({ asked: false, delivered: [Y.port] });
  });

  it("after a TSC restart, whichever VEB reconnects first: the empty one gets the pair's flows again", async () => {
    for (const order of [
      [P1, P2],
      [P2, P1],
    ]) {
      const before = await world([P1, P2], [X, Y]);
      await cross(before.switches, X, Y);
      const held = mappingFlows(before.switches, P2);
      const after = await world(order, [X, Y], { tables: tablesOf(before.switches, [P1, P2], P2) });
      const names = order.map((h) => h.name).join(", ");
      expect(mappingFlows(after.switches, P2), names).toEqual(held);
      expect(after.mapping.stats(), names).toMatchObject({ activePairs: 1, pairFlows: 4, restoredFlows: 2 });
      expect(await cross(after.switches, X, Y), names).toEqual({ asked: false, delivered: [Y.port] });
      // restored means revocable: unplugging Y deletes the pair on both VEBs
      await after.mapping.unplug("y");
      expect([mappingFlows(after.switches, P1), mappingFlows(after.switches, P2)], names).toEqual([[], []]);
    }
  });

  it("after a TSC restart a pair the policy now denies is not restored: its half goes", async () => {
    const before = await world([P1, P2], [X, Y]);
    await cross(before.switches, X, Y);
    const deny: PairPolicy = () => ({ allowed: false, reason: "rule removed" });
    const after = await world([P1, P2], [X, Y], { tables: tablesOf(before.switches, [P1, P2], P2), policy: deny });
    expect([mappingFlows(after.switches, P1), mappingFlows(after.switches, P2)]).toEqual([[], []]);
    expect(after.mapping.stats()).toMatchObject({ activePairs: 0, restoredFlows: 0 });
  });

  it("across clouds: an instance's host or a gateway that lost its flows is made whole, under a running TSC and after a restart", async () => {
    const hosts = [G1, H2, G3, H4];
    for (const emptied of [H4, G3]) {
      const running = await world(hosts, [A, B], { policy: sameVpcPolicy });
      await walk(running.switches);
      const held = mappingFlows(running.switches, emptied);
      running.switches.disconnect(emptied.datapathId);
      await running.switches.connect(emptied.datapathId, new FlowTable());
      expect(mappingFlows(running.switches, emptied), emptied.name).toEqual(held);
      expect((await walk(running.switches)).asked, emptied.name).toBe(false);
    }
    for (const order of [
      [H2, H4, G1, G3],
      [H4, G1, G3, H2],
      [G1, G3, H2, H4],
    ]) {
      const before = await world(hosts, [A, B]);
      await walk(before.switches);
      const held = mappingFlows(before.switches, H4);
      const after = await world(order, [A, B], { tables: tablesOf(before.switches, hosts, H4) });
      const names = order.map((h) => h.name).join(", ");
      expect(mappingFlows(after.switches, H4), names).toEqual(held);
      const next = await walk(after.switches);
      expect([next.asked, next.delivered.map((o) => o.port)], names).toEqual([false, [B.port]]);
    }
  });
});
