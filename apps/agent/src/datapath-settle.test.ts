import path from "node:path";
import { describe, expect, it } from "vitest";
import { DatapathSettle, ovsSockets, Settler, triggerMods, type SettleSwitch } from "./datapath-settle.ts";
import { JsonObjectSplitter } from "./unixctl.ts";

/**
 * ovs-vswitchd's revalidation rounds, as `revalidator/wait` sees them: a wait ends when the next
 * round ends; a trigger starts a round if none is running. The settle logic runs against it.
 */
class Rounds implements SettleSwitch {
  readonly log: string[] = [];
  private waiting: (() => void)[] = [];
  running = false;
  waitRound(): Promise<void> {
    this.log.push("wait");
    return new Promise((r) => this.waiting.push(r));
  }
  trigger(): void {
    this.log.push("trigger");
    this.running = true;
  }
  /** the running round ends: every wait registered so far is answered */
  end(): void {
    this.running = false;
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe("Settler", () => {
  it("answers only after two rounds, each wait asked before its trigger", async () => {
    const rounds = new Rounds();
    const answers: unknown[] = [];
    const s = new Settler(rounds, (f) => answers.push(f));
    s.request({ epoch: 9, seq: 1 });
    await tick();
    expect(rounds.log).toEqual(["wait", "trigger"]);
    rounds.end();
    await tick();
    expect(answers).toEqual([]);
    expect(rounds.log).toEqual(["wait", "trigger", "wait", "trigger"]);
    rounds.end();
    await tick();
    expect(answers).toEqual([{ kind: "settled", epoch: 9, seq: 1 }]);
    expect(s.busy).toBe(false);
  });

  it("requests arriving during a settle are answered together by the next one, with the newest", async () => {
    const rounds = new Rounds();
    const answers: { seq: number }[] = [];
    const s = new Settler(rounds, (f) => answers.push(f));
    s.request({ epoch: 1, seq: 1 });
    await tick();
    s.request({ epoch: 1, seq: 2 });
    s.request({ epoch: 1, seq: 3 });
    for (let i = 0; i < 4; i++) {
      rounds.end();
      await tick();
    }
    expect(answers.map((a) => a.seq)).toEqual([1, 3]);
    expect(rounds.log.filter((l) => l === "wait")).toHaveLength(4);
  });

  it("a wait that fails is answered as failed with its reason, and the next request still settles", async () => {
    const answers: unknown[] = [];
    let fail = true;
    const s = new Settler(
      {
        waitRound: () => (fail ? Promise.reject(new Error("can't wait on multiple udpifs.")) : Promise.resolve()),
        trigger: () => undefined,
      },
      (f) => answers.push(f),
    );
    s.request({ epoch: 2, seq: 5 });
    await tick();
    fail = false;
    s.request({ epoch: 2, seq: 6 });
    await tick();
    await tick();
    expect(answers).toEqual([
      { kind: "failed", epoch: 2, seq: 5, reason: "can't wait on multiple udpifs." },
      { kind: "settled", epoch: 2, seq: 6 },
    ]);
  });

  it("the trigger adds then deletes one flow in a table the pipeline never reaches", () => {
    const [add, del] = triggerMods();
    expect(add).toMatchObject({ type: "flowMod", command: "add", tableId: 253, priority: 0 });
    expect(del).toMatchObject({ type: "flowMod", command: "deleteStrict", tableId: 253, priority: 0 });
  });
});

describe("DatapathSettle", () => {
  it("says once that the management socket cannot be reached, not at every retry", async () => {
    const said: string[] = [];
    const settle = new DatapathSettle({
      mgmtSocket: path.join("/nonexistent", `nvi-${process.pid}`, "veb0.mgmt"),
      waitRound: () => Promise.resolve(),
      log: (level, msg) => said.push(`${level}: ${msg}`),
      retryMs: 5,
    });
    settle.start();
    await new Promise((r) => setTimeout(r, 150));
    settle.stop();
    expect(said).toEqual(["warn: datapath settle: cannot reach the bridge's management socket"]);
  });
});

describe("ovsSockets", () => {
  it("beside NVI_OVS_UNIXCTL when set, else OVS's run directory with the control socket named by vswitchd's pid", async () => {
    const lab = ovsSockets("veb0", "/run/lab/h1/ovs-vswitchd.ctl", () => Promise.reject(new Error("not read")));
    expect(lab.mgmtSocket).toBe("/run/lab/h1/veb0.mgmt");
    expect(await lab.controlSocket()).toBe("/run/lab/h1/ovs-vswitchd.ctl");
    const host = ovsSockets("veb0", undefined, (f) =>
      Promise.resolve(f === path.join("/var/run/openvswitch", "ovs-vswitchd.pid") ? "4242\n" : ""),
    );
    expect(host.mgmtSocket).toBe("/var/run/openvswitch/veb0.mgmt");
    expect(await host.controlSocket()).toBe("/var/run/openvswitch/ovs-vswitchd.4242.ctl");
    const bad = ovsSockets("veb0", undefined, () => Promise.resolve("../../etc/x"));
    await expect(bad.controlSocket()).rejects.toThrow(/no pid/);
  });
});

describe("JsonObjectSplitter", () => {
  it("splits back-to-back objects, across chunks, with braces and quotes inside strings", () => {
    const s = new JsonObjectSplitter();
    expect(s.push('{"id":1,"result":"a {b}"')).toEqual([]);
    expect(s.push(',"error":null}{"id":2,"result":"say \\"}\\""')).toEqual(['{"id":1,"result":"a {b}","error":null}']);
    expect(s.push(',"error":null}')).toEqual(['{"id":2,"result":"say \\"}\\"","error":null}']);
    expect(JSON.parse(s.push('{"id":3,"result":{"n":[1,{"x":2}]}}')[0]!)).toEqual({
      id: 3,
      result: { n: [1, { x: 2 }] },
    });
  });

  it("refuses a stray closing brace and an answer without end", () => {
    expect(() => new JsonObjectSplitter().push("}")).toThrow(/malformed/);
    const s = new JsonObjectSplitter();
    expect(() => s.push(`{"result":"${"x".repeat(1 << 20)}`)).toThrow(/too long/);
  });
});
