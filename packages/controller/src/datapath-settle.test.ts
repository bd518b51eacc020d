import { decodeSettleFrame, encodeSettleFrame, Port, type SettleFrame } from "@nvi/openflow";
import { FakeSwitch } from "@nvi/openflow/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { startTsc, type Tsc } from "./tsc.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(): Promise<{ tsc: Tsc; sw: FakeSwitch; packetIns: number[] }> {
  const packetIns: number[] = [];
  const tsc = await startTsc({
    port: 0,
    insecureTcp: true,
    settleTimeoutMs: 300,
    app: { onPacketIn: (_s, m) => void packetIns.push(m.match.inPort ?? -1) },
  });
  cleanups.push(() => tsc.close());
  const sw = new FakeSwitch(tsc.address.port);
  cleanups.push(() => sw.end());
  sw.send({ type: "hello", xid: 1, version: 4, versions: [4] });
  await tsc.waitForSwitch(0xabcn);
  return { tsc, sw, packetIns };
}

/** The next settle request the TSC sent the switch (for the agent's controller id). */
async function nextRequest(sw: FakeSwitch): Promise<Extract<SettleFrame, { kind: "request" }>> {
  const out = await sw.next("packetOut");
  const frame = decodeSettleFrame(out.data);
  if (frame?.kind !== "request") throw new Error("not a settle request");
  return frame;
}

const answer = (sw: FakeSwitch, frame: SettleFrame, inPort: number = Port.CONTROLLER) =>
  sw.send({
    type: "packetIn",
    xid: 0,
    bufferId: 0xffffffff,
    totalLen: 28,
    reason: 1,
    tableId: 0,
    cookie: 0n,
    match: { inPort },
    data: encodeSettleFrame(frame),
  });

describe("the TSC's datapath settle", () => {
  it("asks once when a switch is served, and waits only where an agent has answered", async () => {
    const { tsc, sw } = await setUp();
    const probe = await nextRequest(sw);
    expect(probe.seq).toBe(1);
    expect(await tsc.settle(0xabcn)).toMatchObject({ settled: false, agent: false });
    answer(sw, { kind: "settled", epoch: probe.epoch, seq: probe.seq });
    await new Promise((r) => setTimeout(r, 50));
    const pending = tsc.settle(0xabcn);
    const req = await nextRequest(sw);
    expect(req).toMatchObject({ epoch: probe.epoch, seq: 2 });
    answer(sw, { kind: "settled", epoch: probe.epoch, seq: 2 });
    expect(await pending).toMatchObject({ settled: true });
  });

  it("an answer through a port, or for another session's epoch, confirms nothing", async () => {
    const { tsc, sw, packetIns } = await setUp();
    const probe = await nextRequest(sw);
    // an instance sending the frame through its port: not an answer, and judged like any packet
    answer(sw, { kind: "settled", epoch: probe.epoch, seq: 99 }, 3);
    await new Promise((r) => setTimeout(r, 50));
    expect(await tsc.settle(0xabcn)).toMatchObject({ settled: false, agent: false });
    expect(packetIns).toEqual([3]);
    // the agent's unasked announcement (epoch 0): known from now on
    answer(sw, { kind: "settled", epoch: 0, seq: 0 });
    await new Promise((r) => setTimeout(r, 50));
    const pending = tsc.settle(0xabcn);
    const req = await nextRequest(sw);
    answer(sw, { kind: "settled", epoch: (req.epoch + 1) >>> 0, seq: req.seq + 100 });
    expect(await pending).toMatchObject({
      settled: false,
      agent: true,
      reason: expect.stringMatching(/did not confirm .* within 300 ms/),
    });
    expect(packetIns).toEqual([3]);
  });

  it("a host that cannot settle says why, and the VEB is not confirmed", async () => {
    const { tsc, sw } = await setUp();
    const probe = await nextRequest(sw);
    answer(sw, { kind: "settled", epoch: probe.epoch, seq: probe.seq });
    await new Promise((r) => setTimeout(r, 50));
    const pending = tsc.settle(0xabcn);
    const req = await nextRequest(sw);
    answer(sw, { kind: "failed", epoch: req.epoch, seq: req.seq, reason: "can't wait on multiple udpifs." });
    expect(await pending).toMatchObject({
      settled: false,
      agent: true,
      reason: expect.stringMatching(/multiple udpifs/),
    });
  });
});
