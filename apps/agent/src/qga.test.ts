import { afterEach, describe, expect, it } from "vitest";
import { qgaExec, QgaError } from "./qga.ts";
import {
  b64,
  fakeGuest as startGuest,
  honest,
  line,
  type FakeGuest,
  type GuestBehaviour,
  type QgaRequest,
} from "./test-support/fake-guest-agent.ts";

/**
 * The QGA client against a real unix socket server (test-support/fake-guest-agent.ts) standing in
 * for QEMU's chardev and the guest's qemu-guest-agent; the lab test in infra/dataplane runs the
 * real ones.
 */
const guests: FakeGuest[] = [];
afterEach(async () => {
  for (const g of guests.splice(0)) await g.close();
});
const fakeGuest = async (b: GuestBehaviour): Promise<FakeGuest> => {
  const g = await startGuest(b);
  guests.push(g);
  return g;
};

const failureOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "no failure";
  } catch (e) {
    if (!(e instanceof QgaError)) throw e;
    return `${e.failure}: ${e.message}`;
  }
};

describe("the QGA client", () => {
  it("resyncs, runs the program as an argv array with captured output, and polls until it exited", async () => {
    const g = await fakeGuest({ answer: honest({ exitcode: 3, stdout: "out\n", stderr: "err\n" }) });
    const r = await qgaExec(g.socket, { path: "/usr/bin/timeout", args: ["3", "ping", "a b;c"] }, { timeoutMs: 3000 });
    expect(r).toEqual({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
    expect(g.raw[0]![0]).toBe(0xff); // the parser reset comes first
    expect(g.requests.map((q) => q.execute)).toEqual([
      "guest-sync-delimited",
      "guest-exec",
      "guest-exec-status",
      "guest-exec-status",
    ]);
    expect(g.requests[1]!.arguments).toEqual({
      path: "/usr/bin/timeout",
      arg: ["3", "ping", "a b;c"],
      "capture-output": true,
    });
    expect(g.requests[2]!.arguments).toEqual({ pid: 4242 });
  });

  it("skips what an earlier client left unread: stale answers, a stale sentinel, bytes that are not JSON", async () => {
    const junk = Buffer.concat([
      Buffer.from(line({ return: { pid: 1 } })),
      Buffer.from([0x00, 0x13, 0xfe]),
      Buffer.from([0xff]),
      Buffer.from(line({ return: 999 })),
      Buffer.from('{"return": {"exited": tr'),
      Buffer.from([0xff]),
      Buffer.from("not json at all\n"),
    ]);
    const g = await fakeGuest({ onConnect: junk, answer: honest() });
    const r = await qgaExec(g.socket, { path: "/bin/true", args: [] }, { timeoutMs: 3000 });
    expect(r).toEqual({ exitCode: 0, stdout: "hello\n", stderr: "" });
  });

  it("a resync answer with another id is not ours: it keeps waiting, then gives up at the deadline", async () => {
    const g = await fakeGuest({
      answer: (r) =>
        r.execute === "guest-sync-delimited"
          ? Buffer.concat([Buffer.from([0xff]), Buffer.from(line({ return: 7 }))])
          : undefined,
    });
    expect(await failureOf(qgaExec(g.socket, { path: "/bin/true", args: [] }, { timeoutMs: 400 }))).toMatch(
      /^timeout: the VM's guest agent did not answer the resync within 0\.4 s \(is qemu-guest-agent running/,
    );
  });

  it("a silent guest fails at the deadline, not later", async () => {
    const g = await fakeGuest({ answer: () => undefined });
    const started = Date.now();
    expect(await failureOf(qgaExec(g.socket, { path: "/bin/true", args: [] }, { timeoutMs: 500 }))).toMatch(
      /^timeout: .*did not answer the resync within 0\.5 s/,
    );
    expect(Date.now() - started).toBeLessThan(3_000); // the deadline plus room for a loaded machine, not the next retry or never
  });

  it("a program that never ends fails at the deadline", async () => {
    const g = await fakeGuest({
      answer: (r, n) => (r.execute === "guest-exec-status" ? line({ return: { exited: false } }) : honest()(r, n)),
    });
    const started = Date.now();
    expect(await failureOf(qgaExec(g.socket, { path: "/bin/sleep", args: ["999"] }, { timeoutMs: 700 }))).toMatch(
      /^timeout: /,
    );
    expect(Date.now() - started).toBeLessThan(3_200);
  });

  it("an answer over the line limit is refused, and endless bytes stop at the session limit", async () => {
    const big = await fakeGuest({
      answer: (r, n) =>
        r.execute === "guest-exec-status"
          ? line({ return: { exited: true, exitcode: 0, "out-data": b64("x".repeat(100_000)) } })
          : honest()(r, n),
    });
    expect(await failureOf(qgaExec(big.socket, { path: "/bin/true", args: [] }, { timeoutMs: 3000 }))).toBe(
      "protocol: the guest agent sent an answer over 65536 bytes",
    );
    // junk without a sentinel is dropped as it comes, but not without end: the session limit stops it
    const flood = await fakeGuest({ onConnect: Buffer.alloc(300 * 1024, 0x41), answer: honest() });
    expect(await failureOf(qgaExec(flood.socket, { path: "/bin/true", args: [] }, { timeoutMs: 3000 }))).toBe(
      "protocol: the guest agent sent more than 262144 bytes",
    );
  });

  it("output within the answer limit is still cut to the output limit", async () => {
    const g = await fakeGuest({
      answer: (r, n) =>
        r.execute === "guest-exec-status"
          ? line({ return: { exited: true, exitcode: 0, "out-data": b64("y".repeat(40_000)) } })
          : honest()(r, n),
    });
    const r = await qgaExec(g.socket, { path: "/bin/true", args: [] }, { timeoutMs: 3000 });
    expect(r.stdout).toBe("y".repeat(16 * 1024));
  });

  it("malformed answers are refused: broken JSON, wrong shapes, output that is not base64, an error answer", async () => {
    const cases: [(r: QgaRequest, n: number) => string | Buffer | undefined, RegExp][] = [
      [
        (r, n) => (r.execute === "guest-exec" ? '{"return": {"pid": 12\n' : honest()(r, n)),
        /^protocol: the guest agent answered something that is not JSON: "\{"return": \{"pid": 12"$/,
      ],
      [
        (r, n) => (r.execute === "guest-exec" ? line({ return: { pid: "12; reboot" } }) : honest()(r, n)),
        /^protocol: the guest agent's guest-exec answer has no pid$/,
      ],
      [(r, n) => (r.execute === "guest-exec" ? line([1, 2]) : honest()(r, n)), /is not a QMP answer$/],
      [
        (r, n) =>
          r.execute === "guest-exec-status"
            ? line({ return: { exited: true, exitcode: 0, "out-data": "<script>" } })
            : honest()(r, n),
        /^protocol: the guest agent's guest-exec-status answer is not an exec status$/,
      ],
      [
        (r, n) =>
          r.execute === "guest-exec"
            ? line({ error: { class: "GenericError", desc: "Command guest-exec has been disabled\u0007\n" } })
            : honest()(r, n),
        /^refused: the guest agent refused guest-exec: Command guest-exec has been disabled$/,
      ],
    ];
    for (const [answer, expected] of cases) {
      const g = await fakeGuest({ answer });
      expect(await failureOf(qgaExec(g.socket, { path: "/bin/true", args: [] }, { timeoutMs: 2000 }))).toMatch(
        expected,
      );
    }
  });

  it("a guest that hangs up mid-answer, and a VM without a channel, say so", async () => {
    const g = await fakeGuest({
      answer: (r, n) => (r.execute === "guest-exec" ? '{"return": {"pi' : honest()(r, n)),
    });
    const hangUp = failureOf(qgaExec(g.socket, { path: "/bin/true", args: [] }, { timeoutMs: 3000 }));
    await new Promise((r) => setTimeout(r, 200));
    await guests.splice(0)[0]!.close();
    expect(await hangUp).toBe("protocol: the guest agent's channel closed mid-answer");
    expect(await failureOf(qgaExec("/nonexistent/qga.sock", { path: "/bin/true", args: [] }, { timeoutMs: 500 }))).toBe(
      "no-channel: this VM has no guest-agent channel",
    );
  });
});
