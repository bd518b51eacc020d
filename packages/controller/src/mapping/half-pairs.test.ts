import { describe, expect, it } from "vitest";
import { deleteStrictFlowMod, type FlowSpec } from "../flow.ts";
import { FlowTable } from "../flow-table.ts";
import { cookieKind } from "../tables.ts";
import { fabricHost, tenantEndpoint } from "../test-support/fabric.ts";
import { arrive, tcpPacket } from "../test-support/frames.ts";
import { A, B, G1, G3, G5, H2, H4, walk } from "../test-support/gateway-clouds.ts";
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

/** A TSC over `hosts` (connected in order), with `endpoints` plugged; `tables`: a restart over these VEBs' tables; `known`: hosts that never connect. */
async function world(
  hosts: FabricHost[],
  endpoints: FabricEndpoint[],
  o: { tables?: Map<bigint, FlowTable>; policy?: PairPolicy; known?: FabricHost[]; clock?: () => number } = {},
) {
  const inventory = new Inventory();
  for (const h of [...hosts, ...(o.known ?? [])]) inventory.upsertHost(h);
  if (o.tables) for (const e of endpoints) inventory.plug(e);
  const mapping = new NviMapping({ inventory, clock: o.clock ?? (() => Date.UTC(2026, 11, 7)), policy: o.policy });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const h of hosts) await switches.connect(h.datapathId, o.tables?.get(h.datapathId));
  if (!o.tables) for (const e of endpoints) await mapping.plug(e);
  return { mapping, switches };
}

/** Lets the setups started by a read-back finish (their barriers answer at once here). */
const tick = () => new Promise((r) => setTimeout(r, 0));

/** The FLOW_REMOVED a VEB sends when `f` idles out. */
const removed = (f: FlowSpec) => ({
  type: "flowRemoved" as const,
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
    await tick();
    expect(mapping.stats()).toMatchObject({ activePairs: 1, restoredPairs: 1, packetIns: 1 });
    expect(await cross(switches, X, Y)).toEqual({ asked: false, delivered: [Y.port] });
    expect(await cross(switches, Y, X)).toEqual({ asked: false, delivered: [X.port] });
  });

  it("a direction found half only because a VEB's notice was lost is not patched a flow at a time: its next packet sets the pair up", async () => {
    const { mapping, switches } = await world([P1, P2], [X, Y]);
    await cross(switches, X, Y);
    // X → Y went quiet: its way in on P2 idled out (notice received), its way out on P1 too while
    // P1's link was down (notice lost: the pair table still records it)
    const fY = mapping.fabricAddressOf("y");
    const [wayIn] = mappingFlows(switches, P2).filter((f) => f.match.ipv4Dst === fY);
    const [wayOut] = mappingFlows(switches, P1).filter((f) => f.match.inPort === X.port);
    switches.table(P2.datapathId).apply(deleteStrictFlowMod(wayIn!));
    mapping.flowRemoved(P2.datapathId, removed(wayIn!));
    const p1 = switches.disconnect(P1.datapathId);
    p1.apply(deleteStrictFlowMod(wayOut!));
    await switches.connect(P1.datapathId, p1);
    // patching only P1's way out (the table's record) would send X's packets into P2's hole
    expect(mappingFlows(switches, P1)).not.toContainEqual(wayOut);
    expect(mapping.stats()).toMatchObject({ activePairs: 1, restoredPairs: 0 });
    expect(await cross(switches, X, Y)).toEqual({ asked: true, delivered: [Y.port] });
    expect(mapping.stats()).toMatchObject({ activePairs: 1, pairFlows: 4 });
  });

  it("a pair whose policy names services loses service flows one by one to idle timeouts: no hole, nothing set up again", async () => {
    // X may open TCP 80 to Y only; Y only answers: Y's way out is several flows on P2 (conntrack,
    // replies), each idling out on its own
    const web: PairPolicy = (src, dst) => ({
      ...sameVpcPolicy(src, dst),
      ...(src.id === "x"
        ? { services: [{ protocol: "tcp" as const, ports: [{ from: 80, to: 80 }] }] }
        : { services: [] }),
    });
    const { mapping, switches } = await world([P1, P2], [X, Y], { policy: web });
    expect(await cross(switches, X, Y)).toEqual({ asked: true, delivered: [Y.port] });
    // Y's answers leave P2 through conntrack: a flow into the reply table, then one per state
    const replies = mappingFlows(switches, P2).filter((f) => f.tableId === 3);
    expect(replies).toHaveLength(2);
    const quiet = replies[1]!; // "related": nothing related came back, it idled out
    switches.table(P2.datapathId).apply(deleteStrictFlowMod(quiet));
    mapping.flowRemoved(P2.datapathId, removed(quiet));
    const setups = mapping.stats().setups;
    // P1 resynced (a plug in its VPC, a reconnection) and P2 read back by the drift check
    await switches.sync(P1.datapathId);
    await mapping.verify(P2.datapathId);
    await tick();
    expect(mapping.stats()).toMatchObject({ setups, restoredPairs: 0, activePairs: 1 });
    expect(mappingFlows(switches, P2)).not.toContainEqual(quiet);
  });

  it("after a TSC restart, a flow that changed only in its actions (a new DSCP) is replaced, not deleted after the pair is set up again", async () => {
    let dscp = 0;
    const policy: PairPolicy = (src, dst) => ({ ...sameVpcPolicy(src, dst), dscp: src.id === "x" ? dscp : 0 });
    for (const order of [
      [P1, P2],
      [P2, P1],
    ]) {
      dscp = 0;
      const before = await world([P1, P2], [X, Y], { policy });
      await cross(before.switches, X, Y);
      dscp = 46; // changed while the TSC was away: X's way out on P1 is stale, the rest current
      const tables = new Map([P1, P2].map((h) => [h.datapathId, before.switches.table(h.datapathId)]));
      const after = await world(order, [X, Y], { tables, policy });
      const names = order.map((h) => h.name).join(", ");
      const out = await after.switches.inject(X.datapathId, tcpPacket(X, Y));
      expect([out.toController.length, out.outputs.map((o) => o.packet.ipDscp)], names).toEqual([0, [46]]);
      expect(after.mapping.stats(), names).toMatchObject({ activePairs: 1, pairFlows: 4 });
    }
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
      await tick();
      expect(after.mapping.stats(), names).toMatchObject({ activePairs: 1, pairFlows: 4, restoredPairs: 1 });
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
    expect(after.mapping.stats()).toMatchObject({ activePairs: 0, restoredPairs: 0 });
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

  it("after a TSC restart with a gateway away, a pair adopted when settling ends is made whole too", async () => {
    const hosts = [G1, H2, G3, H4];
    const before = await world(hosts, [A, B]);
    await walk(before.switches);
    const held = mappingFlows(before.switches, H4);
    let now = Date.UTC(2026, 11, 7);
    // c1's other gateway G5 never comes back: every flow waits until settling ends; H4 came back empty
    const tables = tablesOf(before.switches, hosts, H4);
    const after = await world(hosts, [A, B], { tables, known: [G5], clock: () => now });
    expect(mappingFlows(after.switches, H4)).toEqual([]);
    now += 15_001;
    after.mapping.recovery.settled();
    await tick();
    expect(mappingFlows(after.switches, H4)).toEqual(held);
    expect(after.mapping.stats()).toMatchObject({ activePairs: 1, restoredPairs: 1 });
    expect((await walk(after.switches)).asked).toBe(false);
  });
});
