import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ProbeRequest } from "@nvi/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { guestProbeOutcome, guestProbeProgram, runGuestProbe } from "./guest-probe.ts";
import { qgaSocketOf } from "./runtimes/qemu.ts";
import { fakeGuest, honest, type FakeGuest } from "./test-support/fake-guest-agent.ts";

const icmp: ProbeRequest = {
  instanceId: "inst_vm1",
  runtime: "qemu",
  target: "10.0.2.7",
  protocol: "icmp",
  port: null,
};
const tcp: ProbeRequest = { ...icmp, protocol: "tcp", port: 22 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe("what the guest runs for a probe", () => {
  it("an argv array: ping, or bash's /dev/tcp with the address and port as arguments, never as script text", () => {
    expect(guestProbeProgram(icmp)).toEqual({
      path: "/usr/bin/timeout",
      args: ["4", "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "10.0.2.7"],
    });
    const t = guestProbeProgram(tcp);
    expect(t.args.slice(0, 3)).toEqual(["3", "bash", "-c"]);
    expect(t.args.slice(4)).toEqual(["10.0.2.7", "22"]);
    expect(t.args[3]).not.toContain("10.0.2.7");
    expect(t.args[3]).toContain('"/dev/tcp/$0/$1"');
  });

  it("checks the address and port again: a command smuggled in either is refused before the guest sees it", () => {
    for (const target of ["10.0.2.7; reboot", "$(reboot)", "-f", "10.0.2.256", ""])
      expect(() => guestProbeProgram({ ...icmp, target }), target).toThrow(/^target: not an IPv4 address/);
    for (const port of [null, 0, 65536, 1.5])
      expect(() => guestProbeProgram({ ...tcp, port }), String(port)).toThrow(/^port: a tcp probe needs a port/);
  });
});

describe("what the guest reported, read into the probe's outcome", () => {
  it("ping: replies and the average round trip; silence is no answer", () => {
    const out =
      "3 packets transmitted, 3 received, 0% packet loss, time 402ms\nrtt min/avg/max/mdev = 1.101/2.250/3.480/0.160 ms\n";
    expect(guestProbeOutcome(icmp, { exitCode: 0, stdout: out, stderr: "" })).toEqual({
      result: "open",
      rttMs: 2.25,
      detail: "3/3 echo replies from 10.0.2.7 (sent from inside the VM by its guest agent)",
    });
    expect(
      guestProbeOutcome(icmp, { exitCode: 1, stdout: "3 packets transmitted, 0 received", stderr: "" }),
    ).toMatchObject({
      result: "no-answer",
      rttMs: null,
      detail: "0/3 echo replies from 10.0.2.7 (sent from inside the VM by its guest agent)",
    });
  });

  it("a lying guest's numbers are bounded: more replies than sent, absurd round trips", () => {
    const lie = "3 packets transmitted, 999 received\nrtt min/avg/max/mdev = 1/99999999/3/0 ms\n";
    expect(guestProbeOutcome(icmp, { exitCode: 0, stdout: lie, stderr: "" })).toMatchObject({
      result: "open",
      rttMs: null,
      detail: "3/3 echo replies from 10.0.2.7 (sent from inside the VM by its guest agent)",
    });
    expect(guestProbeOutcome(tcp, { exitCode: 0, stdout: "123456789012\n", stderr: "" }).rttMs).toBeNull();
    expect(guestProbeOutcome(tcp, { exitCode: 0, stdout: "<b>hi</b>", stderr: "" }).rttMs).toBeNull();
  });

  it("tcp: accepted (timed inside the guest), refused, or nothing within the limit; no guest text is repeated", () => {
    expect(guestProbeOutcome(tcp, { exitCode: 0, stdout: "1534\n", stderr: "" })).toEqual({
      result: "open",
      rttMs: 1.53,
      detail: "tcp/22 on 10.0.2.7 accepted the connection (from inside the VM)",
    });
    const refused = "10.0.2.7: connect: Connection refused\nbash: line 1: /dev/tcp/10.0.2.7/22: Connection refused\n";
    expect(guestProbeOutcome(tcp, { exitCode: 7, stdout: "", stderr: refused })).toMatchObject({ result: "refused" });
    const silence = guestProbeOutcome(tcp, { exitCode: 124, stdout: "", stderr: "<img src=x onerror=alert(1)>" });
    expect(silence).toEqual({
      result: "no-answer",
      rttMs: null,
      detail: "no answer from tcp/22 on 10.0.2.7 within 3 s (from inside the VM)",
    });
  });
});

describe("a probe through the VM's guest agent", () => {
  async function vmWithGuest(answer: Parameters<typeof honest>[0]): Promise<{ vmDir: string; guest: FakeGuest }> {
    const vmDir = await mkdtemp(path.join(tmpdir(), "nvi-vms-"));
    const guest = await fakeGuest({ answer: honest(answer) }, qgaSocketOf(vmDir, icmp.instanceId));
    cleanups.push(async () => {
      await guest.close();
      await rm(vmDir, { recursive: true, force: true });
    });
    return { vmDir, guest };
  }

  it("runs the ping in the guest and answers what came back", async () => {
    const { vmDir, guest } = await vmWithGuest({
      stdout: "3 packets transmitted, 2 received, 33% packet loss\nrtt min/avg/max/mdev = 0.5/0.75/1.0/0.1 ms\n",
    });
    expect(await runGuestProbe(icmp, vmDir)).toEqual({
      result: "open",
      rttMs: 0.75,
      detail: "2/3 echo replies from 10.0.2.7 (sent from inside the VM by its guest agent)",
    });
    expect(guest.requests.find((r) => r.execute === "guest-exec")?.arguments).toEqual({
      path: "/usr/bin/timeout",
      arg: ["4", "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "10.0.2.7"],
      "capture-output": true,
    });
  });

  it("a VM without a guest-agent channel (an initramfs guest) says so, and an id that is a path is refused", async () => {
    const vmDir = await mkdtemp(path.join(tmpdir(), "nvi-vms-"));
    cleanups.push(() => rm(vmDir, { recursive: true, force: true }));
    await expect(runGuestProbe(icmp, vmDir)).rejects.toThrow(
      /^this VM's guest has no agent \(an initramfs guest has no qemu-guest-agent channel\)/,
    );
    await expect(runGuestProbe({ ...icmp, instanceId: "../../etc" }, vmDir)).rejects.toThrow(/^not an instance id/);
  });
});
