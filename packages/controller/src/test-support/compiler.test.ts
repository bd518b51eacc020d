import { EthType, Port } from "@nvi/openflow";
import { describe, expect, it } from "vitest";
import { compileSwitchFlows, DesiredSwitchState } from "./compiler.ts";
import { arpRequest } from "./frames.ts";
import { addFlowMod } from "../flow.ts";
import { FlowTable } from "../flow-table.ts";
import { STAGES } from "../tables.ts";

const A = { port: 1, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1" };
const B = { port: 2, mac: "02:00:00:00:00:02", ipv4: "10.0.0.2" };
const C = { port: 3, mac: "02:00:00:00:00:03", ipv4: "10.0.0.3" };
const state: DesiredSwitchState = { policyVersion: 7, endpoints: [A, B, C], allow: [{ a: A.ipv4, b: B.ipv4 }] };
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

function switchWith(s: DesiredSwitchState, now = T0): FlowTable {
  const t = new FlowTable();
  for (const f of compileSwitchFlows(s, () => now)) t.apply(addFlowMod(f));
  return t;
}
const ip = (src: typeof A, dst: { ipv4: string; mac: string }) => ({
  inPort: src.port,
  ethSrc: src.mac,
  ethDst: dst.mac,
  ethType: EthType.IPV4,
  ipv4Src: src.ipv4,
  ipv4Dst: dst.ipv4,
  ipProto: 17,
  udpSrc: 40000,
  udpDst: 53,
});

describe("compileSwitchFlows", () => {
  it("is pure: same state and clock give the same flows", () => {
    expect(compileSwitchFlows(state, () => T0)).toEqual(compileSwitchFlows(structuredClone(state), () => T0));
  });

  it("forwards an allowed pair both ways, rewriting the destination MAC", () => {
    const t = switchWith(state);
    const ab = t.process(ip(A, { ipv4: B.ipv4, mac: "ff:ff:ff:ff:ff:ff" }));
    expect(ab.outputs).toEqual([
      { port: 2, packet: expect.objectContaining({ ethDst: B.mac, ethSrc: A.mac, ipv4Dst: B.ipv4, udpDst: 53 }) },
    ]);
    expect(ab.path.map((p) => p.tableId)).toEqual([
      STAGES.PORT_SECURITY.table,
      STAGES.ARP_RESPONDER.table,
      STAGES.FORWARD.table,
    ]);
    expect(t.process(ip(B, A)).outputs.map((o) => o.port)).toEqual([1]);
  });

  it("sends a pair that is not allowed to the controller (default deny), never to a port", () => {
    const r = switchWith(state).process(ip(A, C));
    expect(r.outputs).toEqual([]);
    expect(r.toController).toHaveLength(1);
  });

  it("drops spoofed source addresses at port security", () => {
    const t = switchWith(state);
    expect(t.process({ ...ip(A, B), ipv4Src: "10.0.0.99" })).toMatchObject({ outputs: [], toController: [] });
    expect(t.process({ ...ip(A, B), ethSrc: "02:00:00:00:00:99" })).toMatchObject({ outputs: [], toController: [] });
    expect(t.process({ ...ip(A, B), inPort: 9 })).toMatchObject({ outputs: [], toController: [] });
  });

  it("answers ARP for an allowed peer with flows, out of the asking port", () => {
    const req = { ...arpRequest(A, B.ipv4), arpTha: "00:00:00:00:00:00" };
    const r = switchWith(state).process(req);
    expect(r.outputs).toEqual([
      {
        port: A.port,
        packet: expect.objectContaining({
          arpOp: 2,
          ethDst: A.mac,
          ethSrc: B.mac,
          arpSha: B.mac,
          arpSpa: B.ipv4,
          arpTha: A.mac,
          arpTpa: A.ipv4,
        }),
      },
    ]);
    expect(r.toController).toEqual([]);
  });

  it("drops ARP for a peer that is not allowed (no flood, no packet-in)", () => {
    const req = {
      inPort: A.port,
      ethSrc: A.mac,
      ethType: EthType.ARP,
      arpOp: 1,
      arpSpa: A.ipv4,
      arpSha: A.mac,
      arpTpa: C.ipv4,
    };
    expect(switchWith(state).process(req)).toMatchObject({ outputs: [], toController: [] });
  });

  it("blocks a port until the deadline using the injected clock", () => {
    const blocked = { ...state, blocks: [{ port: A.port, untilMs: T0 + 2500 }] };
    const block = compileSwitchFlows(blocked, () => T0).find((f) => f.hardTimeout !== undefined);
    expect(block).toMatchObject({
      tableId: STAGES.PORT_SECURITY.table,
      match: { inPort: 1 },
      hardTimeout: 3,
      instructions: [],
    });
    expect(switchWith(blocked, T0).process(ip(A, B)).outputs).toEqual([]);
    expect(
      switchWith(blocked, T0 + 3000)
        .process(ip(A, B))
        .outputs.map((o) => o.port),
    ).toEqual([2]);
  });

  it("puts the policy version in every cookie", () => {
    for (const f of compileSwitchFlows(state, () => T0)) expect(Number(f.cookie & 0xffffffffn)).toBe(7);
  });

  it("with no endpoints, still installs the base pipeline and nothing is forwarded", () => {
    const t = switchWith({ policyVersion: 1, endpoints: [], allow: [] });
    expect(t.flows().length).toBeGreaterThan(0);
    expect(t.process(ip(A, B))).toMatchObject({ outputs: [], toController: [] });
    expect(
      t
        .flows()
        .some((f) =>
          f.instructions.some(
            (i) =>
              i.type === "applyActions" && i.actions.some((a) => a.type === "output" && a.port === Port.CONTROLLER),
          ),
        ),
    ).toBe(true);
  });
});
