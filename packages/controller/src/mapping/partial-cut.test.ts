import { describe, expect, it } from "vitest";
import { B, G1, G3, G5, G6, gatewayClouds, HOSTS, walk } from "../test-support/gateway-clouds.ts";
import { gatewayCouple, gatewayFor } from "./intercloud.ts";
import { Inventory } from "./model.ts";
import { cutGateways, cutLinks, linkKey, type TunnelReport } from "./tunnel-health.ts";

/**
 * A partial cut (issue 15): one link down between two gateways that each keep another (c1 = G1, G5;
 * c2 = G3, G6). Neither gateway is cut, so nothing moved before: the pairs on that couple were
 * black-holed. Now they go over a couple whose link is up, and only they move.
 */
const inventory = new Inventory();
for (const h of [...HOSTS, G6]) inventory.upsertHost(h);
const link = (from: { datapathId: bigint }, peer: { datapathId: bigint }, up: boolean): TunnelReport => ({
  from: from.datapathId,
  peer: peer.datapathId,
  up,
});
/** Every c1 ↔ c2 link reported up by both ends, but for those named down. */
const world = (down: TunnelReport[] = []): TunnelReport[] => [
  ...[G1, G5].flatMap((a) => [G3, G6].flatMap((b) => [link(a, b, true), link(b, a, true)])),
  ...down,
];
const settle = (ms = 10) => new Promise((r) => setTimeout(r, ms));
const dpids = (c: readonly { datapathId: bigint }[] | undefined) => c?.map((g) => g.datapathId);

describe("a partial cut", () => {
  it("a link down between gateways that keep others cuts that link only, not its gateways", () => {
    const reports = world([link(G3, G1, false)]);
    expect(cutGateways(inventory, reports)).toEqual(new Set());
    expect(cutLinks(inventory, reports)).toEqual(
      new Map([[linkKey(G1.datapathId, G3.datapathId), [G1.datapathId, G3.datapathId]]]),
    );
    // the same link named from the other end is the same link
    expect(cutLinks(inventory, world([link(G1, G3, false)]))).toEqual(cutLinks(inventory, reports));
  });

  it("no pair is carried over the cut couple; the others keep theirs; the choice is the same from either side", () => {
    const keys = Array.from({ length: 96 }, (_, i) => `a${i}|b${i}`);
    const up = () => true;
    const couples = (linkUp: (a: bigint, b: bigint) => boolean) =>
      keys.map((k) => gatewayCouple(inventory, ["c1", "c2"], k, up, linkUp));
    const whole = couples(() => true);
    // with every link up, each cloud's own choice, as before the partial cut was handled
    keys.forEach((k, i) => {
      expect(dpids(whole[i])).toEqual(
        dpids([gatewayFor(inventory, "c1", k, up)!, gatewayFor(inventory, "c2", k, up)!]),
      );
    });
    const cut = linkKey(G1.datapathId, G3.datapathId);
    const partial = couples((a, b) => linkKey(a, b) !== cut);
    let moved = 0;
    keys.forEach((k, i) => {
      const [was, now] = [dpids(whole[i])!, dpids(partial[i])!];
      expect(linkKey(now[0]!, now[1]!)).not.toBe(cut);
      if (linkKey(was[0]!, was[1]!) !== cut) expect(now).toEqual(was);
      else {
        moved++;
        // it keeps one of its two gateways (the least change)
        expect(now.filter((d, j) => d === was[j])).toHaveLength(1);
      }
      // asked from b's side (clouds swapped), the same couple
      expect(dpids(gatewayCouple(inventory, ["c2", "c1"], k, up, (a, b) => linkKey(a, b) !== cut))).toEqual(
        [...now].reverse(),
      );
    });
    expect(moved).toBeGreaterThan(5);
    // no link up at all: the clouds' own choices (the setup then waits, as for a gateway that is down)
    expect(couples(() => false).map(dpids)).toEqual(whole.map(dpids));
  });

  it("the pair on the cut couple moves at once to a couple whose link is up, without asking the TSC; it returns with the link", async () => {
    const { mapping, switches, moves } = await gatewayClouds(0, [G6]);
    mapping.tunnelReports(world());
    await settle();
    const before = await walk(switches);
    expect(before.delivered.map((o) => o.port)).toEqual([B.port]);
    // only the far end sees the link go (the near one has not missed enough pings yet)
    expect(mapping.tunnelReports(world([link(before.far, before.via, false)]))).toEqual([]);
    await settle();
    const cut = await walk(switches);
    expect(linkKey(cut.via.datapathId, cut.far.datapathId)).not.toBe(
      linkKey(before.via.datapathId, before.far.datapathId),
    );
    expect(cut.asked).toBe(false);
    expect(cut.delivered.map((o) => o.port)).toEqual([B.port]);
    expect(moves).toHaveLength(1);
    // a report that changes nothing moves nothing
    const flows = switches.received.length;
    mapping.tunnelReports(world([link(before.far, before.via, false), link(before.via, before.far, false)]));
    await settle();
    expect(switches.received.length).toBe(flows);
    mapping.tunnelReports(world());
    await settle();
    const back = await walk(switches);
    expect([back.via.name, back.far.name]).toEqual([before.via.name, before.far.name]);
    expect(back.asked).toBe(false);
  });
});
