import type { CommandResult, HostCommandBody } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { CommandQueue, type CommandQueueDeps } from "./command-queue.ts";
import type { PolledCommand } from "./control-plane.ts";
import { instanceSpec } from "./test-support/spec.ts";

/** A command that runs until the test lets it end. */
interface Held {
  started: Promise<void>;
  release: () => void;
}

/** A queue whose commands record when they begin and end; `hold(id)` keeps one running until released. */
function harness(o: Partial<CommandQueueDeps> = {}) {
  const events: string[] = [];
  const reported = new Map<string, CommandResult>();
  const gates = new Map<string, { release: () => void; started: () => void; startedP: Promise<void> }>();
  const gate = (tag: string) => {
    let release = () => {};
    let started = () => {};
    const startedP = new Promise<void>((r) => (started = r));
    const done = new Promise<void>((r) => (release = r));
    gates.set(tag, { release, started, startedP });
    return done;
  };
  const held = new Map<string, Promise<void>>();
  const queue = new CommandQueue({
    run: async (body: HostCommandBody) => {
      const tag = tagOf(body);
      events.push(`begin ${tag}`);
      gates.get(tag)?.started();
      await held.get(tag);
      events.push(`end ${tag}`);
      return { ok: true };
    },
    report: (id, result) => {
      if (reported.has(id)) throw new Error(`reported twice: ${id}`);
      reported.set(id, result);
      return Promise.resolve();
    },
    log: () => {},
    ...o,
  });
  return {
    queue,
    events,
    reported,
    hold(tag: string): Held {
      held.set(tag, gate(tag));
      const g = gates.get(tag)!;
      return { started: g.startedP, release: g.release };
    },
  };
}

const tagOf = (b: HostCommandBody): string =>
  b.kind === "instance.probe"
    ? `probe ${b.probe.instanceId}`
    : b.kind === "instance.start" || b.kind === "instance.resume"
      ? `${b.kind.slice(9)} ${b.spec.instanceId}`
      : b.kind === "instance.stop" || b.kind === "instance.remove"
        ? `${b.kind.slice(9)} ${b.instanceId}`
        : b.kind;

const start = (id: string, instanceId: string): PolledCommand => ({
  id,
  body: { kind: "instance.start", spec: instanceSpec({ instanceId }) },
});
const stop = (id: string, instanceId: string): PolledCommand => ({
  id,
  body: { kind: "instance.stop", instanceId, runtime: "netns" },
});
const remove = (id: string, instanceId: string): PolledCommand => ({
  id,
  body: { kind: "instance.remove", instanceId, runtime: "netns" },
});
const probe = (id: string, instanceId: string): PolledCommand => ({
  id,
  body: {
    kind: "instance.probe",
    probe: { instanceId, runtime: "netns", protocol: "icmp", target: "10.0.0.3", port: null },
  },
});

/** Waits (without a fixed sleep) until the condition holds. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe("the agent's command queue", () => {
  it("runs one instance's commands one after another, in the order handed out", async () => {
    const h = harness();
    const slow = h.hold("start inst_a");
    h.queue.add([start("c1", "inst_a"), stop("c2", "inst_a")]);
    h.queue.add([remove("c3", "inst_a")]);
    await slow.started;
    expect(h.queue.busy("inst_a")).toBe(true);
    // the stop waits for the start, however long it takes
    expect(h.events).toEqual(["begin start inst_a"]);
    slow.release();
    await h.queue.drained();
    expect(h.events).toEqual([
      "begin start inst_a",
      "end start inst_a",
      "begin stop inst_a",
      "end stop inst_a",
      "begin remove inst_a",
      "end remove inst_a",
    ]);
    expect([...h.reported.keys()]).toEqual(["c1", "c2", "c3"]);
    expect(h.queue.busy("inst_a")).toBe(false);
  });

  it("a slow start on one instance delays neither a probe nor a start on another", async () => {
    const h = harness();
    const boot = h.hold("start inst_vm");
    h.queue.add([start("c1", "inst_vm")]);
    await boot.started;
    h.queue.add([probe("c2", "inst_b"), start("c3", "inst_c")]);
    await until(() => h.reported.has("c2") && h.reported.has("c3"));
    expect(h.reported.has("c1")).toBe(false);
    boot.release();
    await h.queue.drained();
    expect(h.reported.get("c1")).toEqual({ ok: true });
  });

  it("runs at most `lifecycleSlots` lifecycle commands at once; reads still get a slot", async () => {
    const h = harness({ lifecycleSlots: 2 });
    const holds = ["inst_1", "inst_2", "inst_3"].map((i) => h.hold(`start ${i}`));
    h.queue.add([start("c1", "inst_1"), start("c2", "inst_2"), start("c3", "inst_3")]);
    await Promise.all([holds[0]!.started, holds[1]!.started]);
    h.queue.add([probe("p1", "inst_9")]);
    await until(() => h.reported.has("p1"));
    // the third start waits for a slot
    expect(h.events.filter((e) => e.startsWith("begin start"))).toEqual(["begin start inst_1", "begin start inst_2"]);
    holds[1]!.release();
    await holds[2]!.started;
    holds[0]!.release();
    holds[2]!.release();
    await h.queue.drained();
    expect(h.reported.size).toBe(4);
  });

  it("boots at most `bootSlots` VMs at once; other instances' commands pass a VM that waits", async () => {
    const h = harness({ lifecycleSlots: 4, bootSlots: 2 });
    const vm = (id: string, instanceId: string): PolledCommand => ({
      id,
      body: { kind: "instance.start", spec: instanceSpec({ instanceId, runtime: "qemu" }) },
    });
    const boots = ["inst_v1", "inst_v2", "inst_v3"].map((i) => h.hold(`start ${i}`));
    h.queue.add([vm("c1", "inst_v1"), vm("c2", "inst_v2"), vm("c3", "inst_v3"), start("c4", "inst_n")]);
    await Promise.all([boots[0]!.started, boots[1]!.started]);
    await until(() => h.reported.has("c4"));
    expect(h.events).not.toContain("begin start inst_v3");
    boots[0]!.release();
    await boots[2]!.started;
    boots[1]!.release();
    boots[2]!.release();
    await h.queue.drained();
    expect(h.reported.size).toBe(4);
  });

  it("a command handed out again while it runs (redelivery) runs and is reported once", async () => {
    const h = harness();
    const slow = h.hold("start inst_a");
    h.queue.add([start("c1", "inst_a")]);
    await slow.started;
    expect(h.queue.inFlight()).toEqual(["c1"]);
    h.queue.add([start("c1", "inst_a")]);
    slow.release();
    await h.queue.drained();
    expect(h.events.filter((e) => e === "begin start inst_a")).toHaveLength(1);
    expect(h.queue.inFlight()).toEqual([]);
  });

  it("a result it cannot report drops what waits behind it in its lane and asks for a resume", async () => {
    let failing = true;
    const reported: string[] = [];
    const h = harness({
      reportTries: 2,
      reportRetryMs: 1,
      report: (id) => {
        if (failing) return Promise.reject(new Error("console unreachable"));
        reported.push(id);
        return Promise.resolve();
      },
    });
    const slow = h.hold("start inst_a");
    h.queue.add([start("c1", "inst_a"), stop("c2", "inst_a")]);
    await slow.started;
    slow.release();
    await h.queue.drained();
    // the stop never ran: it comes again after the start, as the console hands them out at resume
    expect(h.events).toEqual(["begin start inst_a", "end start inst_a"]);
    expect(h.queue.lost).toBe(true);
    failing = false;
    h.queue.add([start("c1", "inst_a"), stop("c2", "inst_a")]);
    await h.queue.drained();
    expect(reported).toEqual(["c1", "c2"]);
  });

  it("answers a command it does not know as a failure, and runs the rest", async () => {
    const h = harness();
    h.queue.add([{ id: "u1", unknown: "upgrade the agent" }, start("c1", "inst_a")]);
    await h.queue.drained();
    expect(h.reported.get("u1")).toEqual({ ok: false, error: "upgrade the agent" });
    expect(h.reported.get("c1")).toEqual({ ok: true });
  });
});
