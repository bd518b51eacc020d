import { describe, expect, it } from "vitest";
import { deleteStrictFlowMod, type FlowSpec } from "../flow.ts";
import { cookieKind, cookieTag } from "../tables.ts";
import { fabricHost, tenantEndpoint } from "../test-support/fabric.ts";
import { A, B, G7, gatewayClouds, HOSTS, walk } from "../test-support/gateway-clouds.ts";
import { MemorySwitches } from "../test-support/memory-switches.ts";
import { gatewayLeaseFlow } from "./intercloud.ts";
import { inBlock } from "./leases.ts";
import { NviMapping } from "./mapping.ts";
import { Inventory, type PairPolicy, sameVpcPolicy } from "./model.ts";
import type { MappingOptions } from "./types.ts";

/**
 * A restarted TSC reads leases back from the VEBs (README "Restarts and recovery"), and a host's
 * root can write any flow into its own VEB: what org_b's hosts forge must not move org_a's leases.
 * org_b has the gateway G7 (cloud c9) and the host H8 (cloud c9) with its instance M.
 */
const H8 = { ...fabricHost(8, 3), cloud: "c9", owner: "org_b" };
const M = tenantEndpoint("m", H8, 2, "10.0.0.2", "b");
/** org_b's instance in a VPC peered with org_a's (peered ranges never overlap) */
const N = tenantEndpoint("n", H8, 3, "10.0.9.9", "b");

const flowsOn = (switches: MemorySwitches, dpid: bigint, kind: "LEASE" | "GATEWAY_LEASE" | "MAPPING"): FlowSpec[] =>
  switches
    .table(dpid)
    .flows()
    .filter((f) => cookieKind(f.cookie) === kind);

/** A fresh TSC over `tables`, its inventory knowing every host and A, B and M (N instead, `peered`), VEBs reconnecting in `order` (each once, at its first mention). */
async function restart(
  tables: MemorySwitches,
  order: bigint[],
  o: Pick<MappingOptions, "policy" | "reachableVpcs"> & { peered?: boolean } = {},
) {
  const { peered, ...options } = o;
  const inventory = new Inventory();
  for (const h of [...HOSTS, H8]) inventory.upsertHost(h);
  for (const e of [A, B, peered ? N : M]) inventory.plug(e);
  const mapping = new NviMapping({
    ...options,
    inventory,
    clock: () => Date.UTC(2026, 11, 7),
    logger: { info: () => {}, warn: () => {} },
  });
  const switches = new MemorySwitches(mapping.tscOptions(), (dpid, m) => mapping.packetIn(dpid, m));
  mapping.attachPort(switches);
  for (const dpid of new Set(order)) await switches.connect(dpid, tables.table(dpid));
  return { mapping, switches };
}

describe("leases read back from a VEB speak only for what its host may hold", () => {
  it("another organization's gateway and host forging leases at a restart move none of org_a's: its pair across clouds is re-adopted untouched", async () => {
    const before = await gatewayClouds(0, [H8]);
    await before.mapping.plug(M);
    await walk(before.switches);
    const fA = before.mapping.fabricAddressOf("a")!;
    const fB = before.mapping.fabricAddressOf("b")!;
    // G7 (org_b's gateway) writes a gateway lease for org_a's A with A's own fabric address
    before.switches.table(G7.datapathId).load([gatewayLeaseFlow(A, fA)]);
    // H8 swaps its instance's LEASE for one claiming B's fabric address
    const [real] = flowsOn(before.switches, H8.datapathId, "LEASE");
    before.switches.table(H8.datapathId).apply(deleteStrictFlowMod(real!));
    before.switches.table(H8.datapathId).load([{ ...real!, match: { ...real!.match, ipv4Dst: fB } }]);

    // the forgers reconnect first, so their claims would be read back before the true ones
    const after = await restart(before.switches, [G7.datapathId, H8.datapathId, ...HOSTS.map((h) => h.datapathId)]);
    expect([after.mapping.fabricAddressOf("a"), after.mapping.fabricAddressOf("b")]).toEqual([fA, fB]);
    expect(after.mapping.stats()).toMatchObject({ activePairs: 1 });
    const next = await walk(after.switches);
    expect(next.asked).toBe(false);
    expect(next.delivered.map((o) => o.port)).toEqual([B.port]);
    // the forged flows are gone at the resync; M got an address of its own host's block
    expect(flowsOn(after.switches, G7.datapathId, "GATEWAY_LEASE")).toEqual([]);
    const mLease = flowsOn(after.switches, H8.datapathId, "LEASE");
    expect(mLease.map((f) => cookieTag(f.cookie))).toEqual([M.port]);
    expect(inBlock(H8.instanceBlock, mLease[0]!.match.ipv4Dst!)).toBe(true);
    expect(inBlock(H8.instanceBlock, after.mapping.fabricAddressOf("m")!)).toBe(true);
  });

  it("a gateway lease is read back only from a gateway: a host's claim is deleted, the true ones kept", async () => {
    const before = await gatewayClouds(0, [H8]);
    await walk(before.switches);
    const gatewayLeases = (s: MemorySwitches) => [...HOSTS, H8].map((h) => flowsOn(s, h.datapathId, "GATEWAY_LEASE"));
    const held = gatewayLeases(before.switches);
    expect(held.flat().length).toBeGreaterThan(0);
    // H8 (org_b's, not a gateway) claims a lease of its own block for B
    before.switches.table(H8.datapathId).load([gatewayLeaseFlow(B, "100.65.8.200")]);
    const after = await restart(before.switches, [H8.datapathId, ...HOSTS.map((h) => h.datapathId)]);
    expect(gatewayLeases(after.switches)).toEqual(held);
    expect((await walk(after.switches)).asked).toBe(false);
  });

  it("a pair across clouds between peered VPCs of two organizations is re-adopted: each gateway holds leases of both ends", async () => {
    // org_a's A (cloud c1) and org_b's N (cloud c9, gateway G7), their VPCs peered
    const peered: PairPolicy = (s, d) =>
      new Set([s.id, d.id]).size === 2 && [s.id, d.id].every((id) => id === "a" || id === "n")
        ? { allowed: true, reason: "peered" }
        : sameVpcPolicy(s, d);
    const options = { policy: peered, reachableVpcs: (vpc: string) => (vpc === "vpc_c" ? [vpc] : ["vpc_a", "vpc_b"]) };
    const before = await gatewayClouds(0, [H8], options);
    await before.mapping.plug(N);
    expect(await before.mapping.setupPair(A, N)).toBe(true);
    const all = [...HOSTS, H8];
    const pairFlows = (s: MemorySwitches) =>
      all.map((h) =>
        flowsOn(s, h.datapathId, "MAPPING")
          .map((f) => JSON.stringify(f, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)))
          .sort(),
      );
    const held = pairFlows(before.switches);
    const after = await restart(
      before.switches,
      all.map((h) => h.datapathId),
      { ...options, peered: true },
    );
    expect(pairFlows(after.switches)).toEqual(held);
    expect(after.mapping.stats()).toMatchObject({ activePairs: 1, setups: 0 });
  });
});
