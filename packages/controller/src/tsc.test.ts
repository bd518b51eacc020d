import { FakeSwitch } from "@nvi/openflow/test-support";
import { afterEach, describe, expect, it } from "vitest";
import type { DesiredSwitchState } from "./test-support/compiler.ts";
import { compileSwitchFlows } from "./test-support/compiler.ts";
import { startTsc, Tsc } from "./tsc.ts";

const A = { port: 1, mac: "02:00:00:00:00:01", ipv4: "10.0.0.1" };
const B = { port: 2, mac: "02:00:00:00:00:02", ipv4: "10.0.0.2" };
const desired: DesiredSwitchState = { policyVersion: 3, endpoints: [A, B], allow: [{ a: A.ipv4, b: B.ipv4 }] };
const NOTHING: DesiredSwitchState = { policyVersion: 0, endpoints: [], allow: [] };
const clock = () => Date.UTC(2026, 10, 26);
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tscWith(extra: Partial<Parameters<typeof startTsc>[0]> = {}): Promise<Tsc> {
  const tsc = await startTsc({
    port: 0,
    insecureTcp: true,
    desiredFlows: (dpid) => compileSwitchFlows(dpid === 0xabcn ? desired : NOTHING, clock),
    ...extra,
  });
  cleanups.push(() => tsc.close());
  return tsc;
}
function connect(tsc: Tsc): FakeSwitch {
  const sw = new FakeSwitch(tsc.address.port);
  cleanups.push(() => sw.end());
  sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
  return sw;
}

describe("startTsc", () => {
  it("installs the whole desired state when a switch connects", async () => {
    const tsc = await tscWith();
    const sw = connect(tsc);
    await tsc.waitForSwitch(0xabcn);
    expect(sw.flows).toHaveLength(compileSwitchFlows(desired, clock).length);
    expect(await tsc.sync(0xabcn)).toMatchObject({ added: 0, removed: 0, errors: [] });
  });

  it("waitForSwitch resolves at once for a switch that is already connected and synced", async () => {
    const tsc = await tscWith();
    connect(tsc);
    const first = await tsc.waitForSwitch(0xabcn);
    expect(await tsc.waitForSwitch(0xabcn, 50)).toBe(first);
  });

  it("on reconnect, repairs drift instead of trusting what it sent last time", async () => {
    const tsc = await tscWith();
    const first = connect(tsc);
    await tsc.waitForSwitch(0xabcn);
    const surviving = first.flows.slice(1);
    first.end();
    const again = new FakeSwitch(tsc.address.port);
    cleanups.push(() => again.end());
    again.flows = [...surviving, { ...surviving[0]!, priority: 4242 }];
    again.send({ type: "hello", xid: 1, version: 4, versions: [4] });
    await tsc.waitForSwitch(0xabcn);
    // waitForSwitch may still answer for the old connection; the repair of the new one follows shortly
    for (const end = Date.now() + 5_000; again.flows.some((f) => f.priority === 4242) && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 20));
    expect(again.flows).toHaveLength(compileSwitchFlows(desired, clock).length);
    expect(again.flows.some((f) => f.priority === 4242)).toBe(false);
  });

  it("leaves flows the embedder asked to keep (e.g. a lab's plumbing cookie) and removes other strangers", async () => {
    const tsc = await tscWith({ keepFlow: (f) => f.cookie === 0x1abn });
    const sw = new FakeSwitch(tsc.address.port);
    cleanups.push(() => sw.end());
    const stranger = {
      tableId: 0,
      priority: 7,
      match: { inPort: 9 },
      instructions: [],
      idleTimeout: 0,
      hardTimeout: 0,
      flags: 0,
      durationSec: 0,
      durationNsec: 0,
      packetCount: 0n,
      byteCount: 0n,
    };
    sw.flows = [
      { ...stranger, cookie: 0x1abn },
      { ...stranger, priority: 8, cookie: 0x999n },
    ];
    sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
    await tsc.waitForSwitch(0xabcn);
    expect(sw.flows.filter((f) => f.priority === 7 || f.priority === 8).map((f) => f.cookie)).toEqual([0x1abn]);
  });

  it("hands packet-ins to the app and survives an app that throws", async () => {
    const seen: number[] = [];
    const tsc = await tscWith({
      app: {
        onPacketIn: (_sw, m) => {
          seen.push(m.match.inPort ?? -1);
          throw new Error("app bug");
        },
      },
    });
    const sw = connect(tsc);
    const session = await tsc.waitForSwitch(0xabcn);
    for (const inPort of [1, 2])
      sw.send({
        type: "packetIn",
        xid: 0,
        bufferId: 0xffffffff,
        totalLen: 0,
        reason: 0,
        tableId: 2,
        cookie: 0n,
        match: { inPort },
        data: new Uint8Array(),
      });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([1, 2]);
    expect(session.state).toBe("ready");
  });

  it("forgets a switch when it disconnects and tells the app", async () => {
    const gone: string[] = [];
    const tsc = await tscWith({ app: { onSwitchGone: (dpid, reason) => gone.push(`${dpid.toString(16)} ${reason}`) } });
    const sw = connect(tsc);
    await tsc.waitForSwitch(0xabcn);
    sw.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(tsc.switches.size).toBe(0);
    expect(gone).toEqual([expect.stringMatching(/^abc /)]);
  });
});
