import { port } from "@nvi/openflow/test-support/fake-switch";
import { NviMapping } from "../mapping/mapping.ts";
import { FabricHost, Inventory } from "../mapping/model.ts";
import type { MappingOptions } from "../mapping/types.ts";
import { asGateway, fabricHost, tenantEndpoint } from "./fabric.ts";
import { arrive, tcpPacket } from "./frames.ts";
import { MemorySwitches } from "./memory-switches.ts";

/**
 * Several gateways per cloud (README "Several gateways per cloud") on in-memory VEBs, written once
 * for the failover tests: cloud c1 = gateways G1 and G5 + host H2, cloud c2 = gateway G3 + host H4,
 * all of org_a. The tunnel between the gateways' stacks is played by `walk` (what leaves a gateway's
 * tunnel port is injected at G3's, and back).
 */
export const TUNNEL = 9;
const gateway = (n: number, dc: number, cloud: string, owner = "org_a"): FabricHost =>
  asGateway({ ...fabricHost(n, dc), cloud, owner }, n, TUNNEL);
export const G1 = gateway(1, 1, "c1");
export const G5 = gateway(5, 1, "c1");
export const H2 = { ...fabricHost(2, 1), cloud: "c1", owner: "org_a" };
export const G3 = gateway(3, 2, "c2");
export const H4 = { ...fabricHost(4, 2), cloud: "c2", owner: "org_a" };
/** a second gateway of c2, for the worlds that need one (a partial cut: `gatewayClouds(0, [G6])`) */
export const G6 = gateway(6, 2, "c2");
/** another organization's gateway, in a cloud of its own */
export const G7 = gateway(7, 3, "c9", "org_b");
export const HOSTS = [G1, G5, H2, G3, H4, G7];

export const A = tenantEndpoint("a", H2, 2, "10.0.0.2");
export const B = tenantEndpoint("b", H4, 3, "10.0.0.3");

/** The clouds with A and B plugged, every VEB connected; `moves` collects each "pairs moved" log. */
export async function gatewayClouds(
  gatewayMoveHoldMs = 0,
  more: FabricHost[] = [],
  o: Pick<MappingOptions, "policy" | "reachableVpcs"> = {},
) {
  const inventory = new Inventory();
  const hosts = [...HOSTS, ...more];
  for (const h of hosts) inventory.upsertHost(h);
  const moves: unknown[] = [];
  const logger = {
    info: (msg: string, fields?: unknown) => void (msg === "pairs moved between gateways" && moves.push(fields)),
    warn: () => undefined,
  };
  const mapping = new NviMapping({ ...o, inventory, clock: () => Date.UTC(2026, 11, 5), gatewayMoveHoldMs, logger });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const h of hosts) await switches.connect(h.datapathId);
  for (const e of [A, B]) await mapping.plug(e);
  return { mapping, switches, moves };
}

/**
 * Carries a packet A → B hop by hop: the dc1 gateway it went through (`via`), the dc2 gateway the
 * tunnel took it to (`far`: the one whose block holds its destination, as WireGuard's allowed IPs
 * pick the peer), whether the TSC was asked, what B got.
 */
export async function walk(switches: MemorySwitches) {
  const first = await switches.inject(H2.datapathId, tcpPacket(A, B));
  const asked = first.toController.length > 0;
  const toGw = first.outputs[0] ?? switches.released.at(-1)?.trace.outputs[0];
  if (!toGw) throw new Error("A's packet left nowhere");
  const via = [G1, G5].find((g) => g.fabricMac === toGw.packet.ethDst);
  if (!via) throw new Error(`A's packet went to ${toGw.packet.ethDst}, no gateway`);
  const tunnel = (await switches.inject(via.datapathId, arrive(toGw.packet, 1, H2.fabricMac, via.fabricMac)))
    .outputs[0];
  if (!tunnel) throw new Error(`${via.name} dropped it`);
  const far = [G3, G6].find((g) => (tunnel.packet.ipv4Dst ?? "").startsWith(g.instanceBlock.replace(/0\/24$/, "")));
  if (!far) throw new Error(`${via.name} sent it to ${tunnel.packet.ipv4Dst}, no dc2 gateway's`);
  const out = (
    await switches.inject(far.datapathId, arrive(tunnel.packet, TUNNEL, far.gateway!.stackMac, far.gateway!.tunnelMac))
  ).outputs[0];
  if (!out) throw new Error(`${far.name} dropped it`);
  const delivered = (await switches.inject(H4.datapathId, arrive(out.packet, 1, far.fabricMac, H4.fabricMac))).outputs;
  return { via, far, asked, delivered };
}

/** An OFPT_PORT_STATUS (modify) of port `portNo` with OFPPS bits `state` (1: link down). */
export const portStatus = (portNo: number, state: number) => ({
  type: "portStatus" as const,
  xid: 0,
  reason: 2,
  port: { ...port(portNo, `p${portNo}`), state },
});

/** The TSC callbacks a VEB's messages reach, as gateway `g`'s session. */
export function sessionOf(mapping: NviMapping, g: FabricHost) {
  const app = mapping.tscOptions().app;
  const sw = { datapathId: g.datapathId } as Parameters<NonNullable<typeof app.onPortStatus>>[0];
  return { sw, app };
}
