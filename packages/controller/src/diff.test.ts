import { describe, expect, it } from "vitest";
import { compileSwitchFlows, DesiredSwitchState } from "./test-support/compiler.ts";
import { diffFlows, diffToFlowMods } from "./diff.ts";
import { FlowTable } from "./flow-table.ts";
import { cookieFor, cookieKind } from "./tables.ts";

const A = { port: 1, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1" };
const B = { port: 2, mac: "02:00:00:00:00:02", ipv4: "10.0.0.2" };
const C = { port: 3, mac: "02:00:00:00:00:03", ipv4: "10.0.0.3" };
const now = () => 0;
const v1: DesiredSwitchState = { policyVersion: 1, endpoints: [A, B, C], allow: [{ a: A.ipv4, b: B.ipv4 }] };
const v2: DesiredSwitchState = { policyVersion: 1, endpoints: [A, B, C], allow: [{ a: A.ipv4, b: C.ipv4 }] };

describe("diffFlows", () => {
  it("is empty when installed equals desired", () => {
    const flows = compileSwitchFlows(v1, now);
    expect(diffFlows(flows, compileSwitchFlows(v1, now))).toEqual({ add: [], remove: [], unchanged: flows.length });
  });

  it("installs everything on an empty switch", () => {
    const flows = compileSwitchFlows(v1, now);
    expect(diffFlows([], flows).add).toHaveLength(flows.length);
  });

  it("turns the installed table into the desired one (applied through the in-memory switch)", () => {
    const sw = new FlowTable();
    for (const m of diffToFlowMods(diffFlows([], compileSwitchFlows(v1, now)))) sw.apply(m);
    const d = diffFlows(sw.flows(), compileSwitchFlows(v2, now));
    expect(d.remove.length).toBeGreaterThan(0);
    for (const m of diffToFlowMods(d)) sw.apply(m);
    expect(diffFlows(sw.flows(), compileSwitchFlows(v2, now))).toMatchObject({ add: [], remove: [] });
    const probe = { inPort: 1, ethSrc: A.mac, ethType: 0x0800, ipv4Src: A.ipv4, ipv4Dst: B.ipv4 };
    expect(sw.process(probe).outputs).toEqual([]);
    expect(sw.process({ ...probe, ipv4Dst: C.ipv4 }).outputs.map((o) => o.port)).toEqual([3]);
  });

  it("re-adds a flow whose actions or cookie changed and keeps flows the caller wants kept", () => {
    const flows = compileSwitchFlows(v1, now);
    const bumped = compileSwitchFlows({ ...v1, policyVersion: 2 }, now);
    expect(diffFlows(flows, bumped).add).toHaveLength(flows.length);
    const reactive = {
      tableId: 2,
      priority: 50,
      match: { inPort: 9 },
      instructions: [],
      cookie: cookieFor("REACTIVE", 0),
      idleTimeout: 5,
    };
    const d = diffFlows([...flows, reactive], flows, (f) => cookieKind(f.cookie) === "REACTIVE");
    expect(d.remove).toEqual([]);
  });
});
