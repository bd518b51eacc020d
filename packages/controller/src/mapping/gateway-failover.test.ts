import { port } from "@nvi/openflow/test-support/fake-switch";
import { describe, expect, it } from "vitest";
import { asGateway, fabricHost, tenantEndpoint } from "../test-support/fabric.ts";
import { arrive, tcpPacket } from "../test-support/frames.ts";
import { MemorySwitches } from "../test-support/memory-switches.ts";
import { gatewayFor } from "./intercloud.ts";
import { NviMapping } from "./mapping.ts";
import { FabricHost, Inventory } from "./model.ts";

/**
 * Several gateways per cloud (README "Several gateways per cloud") on in-memory VEBs: cloud c1 =
 * gateways G1 and G5 + host H2, cloud c2 = gateway G3 + host H4. The tunnel between the gateways'
 * stacks is played by the test (what leaves a gateway's tunnel port is injected at G3's, and back).
 */
const TUNNEL = 9;
const gateway = (n: number, dc: number, cloud: string): FabricHost =>
  asGateway({ ...fabricHost(n, dc), cloud }, n, TUNNEL);
const G1 = gateway(1, 1, "c1");
const G5 = gateway(5, 1, "c1");
const H2 = { ...fabricHost(2, 1), cloud: "c1" };
const G3 = gateway(3, 2, "c2");
const H4 = { ...fabricHost(4, 2), cloud: "c2" };
const HOSTS = [G1, G5, H2, G3, H4];

const A = tenantEndpoint("a", H2, 2, "10.0.0.2");
const B = tenantEndpoint("b", H4, 3, "10.0.0.3");

async function clouds(gatewayMoveHoldMs = 0) {
  const inventory = new Inventory();
  for (const h of HOSTS) inventory.upsertHost(h);
  const moves: unknown[] = [];
  const logger = {
    info: (msg: string, fields?: unknown) => void (msg === "pairs moved between gateways" && moves.push(fields)),
    warn: () => undefined,
  };
  const mapping = new NviMapping({ inventory, clock: () => Date.UTC(2026, 11, 5), gatewayMoveHoldMs, logger });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const h of HOSTS) await switches.connect(h.datapathId);
  for (const e of [A, B]) await mapping.plug(e);
  return { mapping, switches, moves };
}

/** Carries a packet A → B hop by hop: the dc1 gateway it went through, whether the TSC was asked, what B got. */
async function walk(switches: MemorySwitches) {
  const first = await switches.inject(H2.datapathId, tcpPacket(A, B));
  const asked = first.toController.length > 0;
  const toGw = first.outputs[0] ?? switches.released.at(-1)?.trace.outputs[0];
  if (!toGw) throw new Error("A's packet left nowhere");
  const via = [G1, G5].find((g) => g.fabricMac === toGw.packet.ethDst);
  if (!via) throw new Error(`A's packet went to ${toGw.packet.ethDst}, no gateway`);
  const tunnel = (await switches.inject(via.datapathId, arrive(toGw.packet, 1, H2.fabricMac, via.fabricMac)))
    .outputs[0];
  if (!tunnel) throw new Error(`${via.name} dropped it`);
  const out = (
    await switches.inject(G3.datapathId, arrive(tunnel.packet, TUNNEL, G3.gateway!.stackMac, G3.gateway!.tunnelMac))
  ).outputs[0];
  if (!out) throw new Error("G3 dropped it");
  const delivered = (await switches.inject(H4.datapathId, arrive(out.packet, 1, G3.fabricMac, H4.fabricMac))).outputs;
  return { via, asked, delivered };
}

const status = (portNo: number, state: number) => ({
  type: "portStatus" as const,
  xid: 0,
  reason: 2,
  port: { ...port(portNo, `p${portNo}`), state },
});

/** The TSC callback a VEB's OFPT_PORT_STATUS reaches, as gateway `g`'s session. */
function portStatusOf(mapping: NviMapping, g: FabricHost) {
  const app = mapping.tscOptions().app;
  const sw = { datapathId: g.datapathId } as Parameters<NonNullable<typeof app.onPortStatus>>[0];
  return { sw, app };
}

describe("several gateways per cloud", () => {
  it("spreads pairs over the cloud's gateways; with one down only its pairs move, and they come back with it", () => {
    const inventory = new Inventory();
    for (const h of HOSTS) inventory.upsertHost(h);
    const keys = Array.from({ length: 64 }, (_, i) => `a${i}|b${i}`);
    const all = (up: (d: bigint) => boolean) => keys.map((k) => gatewayFor(inventory, "c1", k, up)?.name);
    const both = all(() => true);
    expect(new Set(both)).toEqual(new Set(["h1", "h5"]));
    expect(both.filter((n) => n === "h1").length).toBeGreaterThan(16);
    const g1Down = all((d) => d !== G1.datapathId);
    expect(new Set(g1Down)).toEqual(new Set(["h5"]));
    // the pairs on G5 stayed on G5 (nobody else was disturbed)
    keys.forEach((_, i) => {
      if (both[i] === "h5") expect(g1Down[i]).toBe("h5");
    });
    expect(all(() => true)).toEqual(both);
    // none up (a TSC that just started): still a choice, the setup then waits for a VEB
    expect(all(() => false)).toEqual(both);
  });

  it("a gateway's VEB goes: its pairs move to the other gateway at once, and their next packet passes without asking the TSC", async () => {
    const { mapping, switches } = await clouds();
    const before = await walk(switches);
    expect(before.asked).toBe(true);
    expect(before.delivered.map((o) => o.port)).toEqual([B.port]);
    const other = before.via === G1 ? G5 : G1;
    const dead = switches.disconnect(before.via.datapathId);
    await mapping.gatewayChanged(before.via.datapathId);
    const after = await walk(switches);
    expect(after.via.name).toBe(other.name);
    expect(after.asked).toBe(false);
    // the instance's own addresses and ports are what B gets, as before: its connections carry on
    expect(after.delivered).toEqual([
      {
        port: B.port,
        packet: expect.objectContaining({ ipv4Src: A.ipv4, ipv4Dst: B.ipv4, tcpSrc: 40000, tcpDst: 80 }),
      },
    ]);
    expect(mapping.stats()).toMatchObject({ setups: 2, activePairs: 1 });
    // the gateway comes back: the pair returns to it, nothing black-holed on the way
    await switches.connect(before.via.datapathId, dead);
    await mapping.gatewayChanged(before.via.datapathId);
    const back = await walk(switches);
    expect(back.via.name).toBe(before.via.name);
    expect(back.asked).toBe(false);
    expect(back.delivered.map((o) => o.port)).toEqual([B.port]);
  });

  it("a gateway whose fabric link goes down (its VEB still connected) loses its pairs to the other; they return with the link", async () => {
    const { mapping, switches } = await clouds();
    const before = await walk(switches);
    const other = before.via === G1 ? G5 : G1;
    const { sw, app } = portStatusOf(mapping, before.via);
    // an instance port of the gateway going down is no reason to move anything
    app.onPortStatus!(sw, status(7, 1));
    await new Promise((r) => setTimeout(r, 10));
    expect((await walk(switches)).via.name).toBe(before.via.name);
    app.onPortStatus!(sw, status(before.via.fabricPort, 1));
    await new Promise((r) => setTimeout(r, 10));
    const cut = await walk(switches);
    expect(cut.via.name).toBe(other.name);
    expect(cut.asked).toBe(false);
    expect(cut.delivered.map((o) => o.port)).toEqual([B.port]);
    app.onPortStatus!(sw, status(before.via.fabricPort, 0));
    await new Promise((r) => setTimeout(r, 10));
    expect((await walk(switches)).via.name).toBe(before.via.name);
  });

  it("a gateway VEB flapping its fabric port moves its pairs at most once per hold, and the last report wins", async () => {
    // hostile: a tenant's gateway VEB (it is theirs, root on the host) floods port status so the
    // shared TSC revokes and sets up pairs without end; the hold folds the flood into one move
    const { mapping, switches, moves } = await clouds(300);
    const before = await walk(switches);
    const other = before.via === G1 ? G5 : G1;
    const { sw, app } = portStatusOf(mapping, before.via);
    // 40 flaps, 5 ms apart (each long enough for a move to finish), then the link stays down
    const started = Date.now();
    for (let i = 0; i < 40; i++) {
      app.onPortStatus!(sw, status(before.via.fabricPort, i % 2 === 0 ? 1 : 0));
      await new Promise((r) => setTimeout(r, 5));
    }
    app.onPortStatus!(sw, status(before.via.fabricPort, 1));
    const holds = Math.ceil((Date.now() - started) / 300);
    await new Promise((r) => setTimeout(r, 400)); // the last hold ends: its move is made from the state now (down)
    // one move at the first report, at most one per hold after it (the old code: 41)
    expect(moves.length).toBeGreaterThanOrEqual(1);
    expect(moves.length).toBeLessThanOrEqual(1 + holds);
    const cut = await walk(switches);
    expect(cut.via.name).toBe(other.name);
    expect(cut.delivered.map((o) => o.port)).toEqual([B.port]);
    // once quiet for a hold (the folded move opened one), its next change moves at once again
    await new Promise((r) => setTimeout(r, 350));
    app.onPortStatus!(sw, status(before.via.fabricPort, 0));
    await new Promise((r) => setTimeout(r, 20));
    expect((await walk(switches)).via.name).toBe(before.via.name);
  });

  it("a VEB that is not a gateway going changes no pair", async () => {
    const { mapping, switches } = await clouds();
    await walk(switches);
    const flows = switches.received.length;
    await mapping.gatewayChanged(H4.datapathId);
    expect(switches.received.length).toBe(flows);
    expect(mapping.stats()).toMatchObject({ setups: 1 });
  });
});
