import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CommandResult } from "@nvi/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { commandLoop } from "./command-loop.ts";
import type { PolledCommand } from "./control-plane.ts";
import { instanceSpec } from "./test-support/spec.ts";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

/** The loop on a scripted host (VEB `br-test`), polling every 10 ms, its commands handed out from `handout`. */
function loopOn(o: {
  run: (cmd: string, args: readonly string[]) => Promise<string>;
  crossCloud: () => boolean;
  handout?: PolledCommand[][];
  log?: (level: "info" | "warn" | "error", msg: string) => void;
}) {
  let stopping = false;
  let polls = 0;
  const done = commandLoop({
    api: {
      commands: () => (polls++, Promise.resolve({ commands: o.handout?.shift() ?? [], missing: [] })),
      result: () => Promise.resolve({ recorded: true as const }),
    },
    credential: () => "cred",
    run: o.run,
    bridge: "br-test",
    hostId: "host_1",
    qemu: { imageDir: dir!, vmDir: path.join(dir!, "vms"), accel: "tcg" },
    crossCloud: o.crossCloud,
    stopping: () => stopping,
    log: o.log ?? (() => {}),
    pollMs: 10,
  });
  return {
    polls: () => polls,
    stop: async () => {
      stopping = true;
      await done;
    },
  };
}

describe("the agent's command loop", () => {
  it("answers a probe on one instance while another instance's start is still running", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-cmdloop-"));
    // instance a's start hangs at `ip netns add` (a VM booting under TCG) until the test lets it go
    let letStartEnd = () => {};
    const startHangs = new Promise<void>((r) => (letStartEnd = r));
    let startBegan = false;
    const run = async (cmd: string, args: readonly string[]) => {
      if (cmd === "ip" && args.join(" ") === "netns add nvi-inst_a") {
        startBegan = true;
        await startHangs;
      }
      // the VEB gives the plugged port a number at once
      return cmd === "ovs-vsctl" && args.at(-1) === "ofport" ? "7" : "";
    };
    const handout: PolledCommand[][] = [
      [{ id: "cmd_start", body: { kind: "instance.start", spec: instanceSpec({ instanceId: "inst_a" }) } }],
    ];
    const polls: { running: string[] }[] = [];
    const results = new Map<string, CommandResult>();
    let stopping = false;
    const loop = commandLoop({
      api: {
        commands: (_credential, _inventory, _resume, running = []) => {
          polls.push({ running });
          return Promise.resolve({ commands: handout.shift() ?? [], missing: [] });
        },
        result: (_credential, id, result) => {
          results.set(id, result);
          return Promise.resolve({ recorded: true as const });
        },
      },
      credential: () => "cred",
      run,
      bridge: "br-test",
      hostId: "host_1",
      qemu: { imageDir: dir, vmDir: path.join(dir, "vms"), accel: "tcg" },
      crossCloud: () => false,
      stopping: () => stopping,
      log: () => {},
      pollMs: 10,
    });
    await until(() => startBegan);
    handout.push([
      {
        id: "cmd_probe",
        body: {
          kind: "instance.probe",
          probe: { instanceId: "inst_b", runtime: "netns", protocol: "icmp", target: "10.0.0.3", port: null },
        },
      },
    ]);
    await until(() => results.has("cmd_probe"));
    expect(results.has("cmd_start")).toBe(false);
    // meanwhile every poll names the start as still running: the console does not hand it out again
    expect(polls.length).toBeGreaterThan(1);
    expect(polls.slice(1).every((p) => p.running.includes("cmd_start"))).toBe(true);
    letStartEnd();
    await until(() => results.has("cmd_start"));
    expect(results.get("cmd_start")).toEqual({ ok: true, ofport: 7 });
    stopping = true;
    await loop;
  });

  // A container Docker restarted comes back in a new namespace with a new eth0, its TX checksum offload
  // on again; across clouds every TCP and UDP packet of it then arrives with a bad checksum
  // (packages/controller README, "Checksums"). The agent re-plugs it and turns the offload off again.
  for (const crossCloud of [true, false])
    it(`re-plugs a restarted container${crossCloud ? " and turns its TX checksum offload off again (cross-cloud host)" : ", offload left alone (no cross-cloud)"}`, async () => {
      dir = await mkdtemp(path.join(tmpdir(), "nvi-cmdloop-"));
      const spec = instanceSpec({ instanceId: "inst_d", runtime: "docker", image: "nginx:1" });
      let plugged = false;
      const ran: string[] = [];
      const answer = (cmd: string, args: readonly string[]): string => {
        const line = `${cmd} ${args.join(" ")}`;
        ran.push(line);
        if (line === "docker ps --filter label=nvi.host=host_1 --format {{.Names}}") return "nvi-inst_d\n";
        if (line === "docker inspect -f {{.State.Pid}} {{.State.Running}} nvi-inst_d") return "4242 true";
        // Docker's restart left the container without our eth0, until the agent plugs it again
        if (line === "nsenter -t 4242 -n ip link show eth0") {
          if (!plugged) throw new Error('Device "eth0" does not exist.');
          return "";
        }
        if (line.startsWith("docker inspect -f {{index .Config.Labels")) return JSON.stringify(spec);
        // once plugged, the port is on the VEB like any instance's
        if (plugged && line === "ovs-vsctl list-ports br-test") return "nvinst_d\n";
        if (plugged && line === "ovs-vsctl get interface nvinst_d external_ids") return "{nvi-instance=inst_d}";
        if (cmd === "ovs-vsctl" && args.includes("add-port")) plugged = true;
        return cmd === "ovs-vsctl" && args.at(-1) === "ofport" ? "9" : "";
      };
      const run = (cmd: string, args: readonly string[]) =>
        new Promise<string>((resolve) => resolve(answer(cmd, args)));
      const loop = loopOn({ run, crossCloud: () => crossCloud });
      await until(() => plugged && loop.polls() >= 3);
      await loop.stop();
      const offloadOff = ran.filter((l) => l === "nsenter -t 4242 -n ethtool -K eth0 tx off");
      expect(offloadOff).toHaveLength(crossCloud ? 1 : 0);
      if (crossCloud) expect(ran.indexOf(offloadOff[0]!)).toBeGreaterThan(ran.findIndex((l) => l.includes("add-port")));
    });

  it("turns the offload off once for the instances already running when the host starts talking across clouds", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-cmdloop-"));
    const ran: string[] = [];
    const answer = (cmd: string, args: readonly string[]): string => {
      const line = `${cmd} ${args.join(" ")}`;
      ran.push(line);
      if (line === "ovs-vsctl list-ports br-test") return "nvinst_n\nnvinst_k\nnvinst_v\n";
      const ids = /^ovs-vsctl get interface nv(inst_[nkv]) external_ids$/.exec(line);
      if (ids) return `{attached-mac="0a:00:00:00:00:01", nvi-instance=${ids[1]}, nvi-ip="10.0.0.2"}`;
      if (line === "ip netns list") return "nvi-inst_n (id: 3)\nother\n";
      if (line === "docker inspect -f {{.State.Pid}} {{.State.Running}} nvi-inst_k") return "5151 true";
      if (line.startsWith("docker inspect")) throw new Error("No such object"); // inst_v is a VM
      return cmd === "ovs-vsctl" && args.at(-1) === "ofport" ? "5" : "";
    };
    const run = (cmd: string, args: readonly string[]) => new Promise<string>((resolve) => resolve(answer(cmd, args)));
    let cross = false;
    const loop = loopOn({ run, crossCloud: () => cross });
    const offloadOff = () => ran.filter((l) => l.endsWith("ethtool -K eth0 tx off"));
    await until(() => loop.polls() >= 3);
    expect(offloadOff()).toEqual([]);
    cross = true; // the console's heartbeat answer: this host's cloud now reaches others through gateways
    const flippedAt = loop.polls();
    await until(() => loop.polls() >= flippedAt + 4);
    await loop.stop();
    // once each, netns and Docker; the VM's guest owns its NIC
    expect(offloadOff().sort()).toEqual([
      "ip netns exec nvi-inst_n ethtool -K eth0 tx off",
      "nsenter -t 5151 -n ethtool -K eth0 tx off",
    ]);
  });

  it("leaves an instance with a command running for a later poll, and tries a failed one again (warned once)", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-cmdloop-"));
    const ran: string[] = [];
    let failures = 2; // inst_n's ethtool fails twice, then works
    let sPlugged = false;
    let sWaited = false;
    let letStartEnd = () => {};
    const startHangs = new Promise<void>((r) => (letStartEnd = r));
    const answer = (cmd: string, args: readonly string[]): string => {
      const line = `${cmd} ${args.join(" ")}`;
      ran.push(line);
      if (line.includes("add-port") && line.includes("nvinst_s")) sPlugged = true;
      if (line === "ovs-vsctl list-ports br-test") return sPlugged ? "nvinst_n\nnvinst_s\n" : "nvinst_n\n";
      const ids = /^ovs-vsctl get interface nv(inst_[ns]) external_ids$/.exec(line);
      if (ids) return `{nvi-instance=${ids[1]}}`;
      if (line === "ip netns list") return "nvi-inst_n\nnvi-inst_s\n";
      if (line === "ip netns exec nvi-inst_n ethtool -K eth0 tx off" && failures-- > 0) throw new Error("busy device");
      return cmd === "ovs-vsctl" && args.at(-1) === "ofport" ? "5" : "";
    };
    // inst_s's start is still running once its port is plugged (its own offload step hangs a while)
    const run = async (cmd: string, args: readonly string[]) => {
      if (!sWaited && `${cmd} ${args.join(" ")}` === "ip netns exec nvi-inst_s ethtool -K eth0 tx off") {
        sWaited = true;
        await startHangs;
      }
      return answer(cmd, args);
    };
    const handout: PolledCommand[][] = [
      [{ id: "cmd_s", body: { kind: "instance.start", spec: instanceSpec({ instanceId: "inst_s" }) } }],
    ];
    const warnings: string[] = [];
    const loop = loopOn({
      run,
      crossCloud: () => true,
      handout,
      log: (level, msg) => void (level === "warn" && warnings.push(msg)),
    });
    const off = (id: string) => ran.filter((l) => l === `ip netns exec nvi-${id} ethtool -K eth0 tx off`).length;
    await until(() => sWaited && loop.polls() >= 5);
    expect(off("inst_s")).toBe(0); // plugged, but its start is still running: not touched
    expect(off("inst_n")).toBe(3); // two failures, then done, then left alone
    expect(warnings.filter((w) => w.includes("TX checksum offload"))).toHaveLength(1);
    letStartEnd();
    await until(() => off("inst_s") >= 2); // its start's own, then the sweep's once it is no longer busy
    const at = loop.polls();
    await until(() => loop.polls() >= at + 3);
    await loop.stop();
    expect(off("inst_s")).toBe(2);
    expect(off("inst_n")).toBe(3);
  });

  it("does an instance again once it left the VEB and came back (stopped and started: a new eth0)", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-cmdloop-"));
    const ran: string[] = [];
    let onVeb = true;
    const answer = (cmd: string, args: readonly string[]): string => {
      const line = `${cmd} ${args.join(" ")}`;
      ran.push(line);
      if (line === "ovs-vsctl list-ports br-test") return onVeb ? "nvinst_n\n" : "";
      if (line === "ovs-vsctl get interface nvinst_n external_ids") return "{nvi-instance=inst_n}";
      if (line === "ip netns list") return "nvi-inst_n\n";
      return cmd === "ovs-vsctl" && args.at(-1) === "ofport" ? "5" : "";
    };
    const loop = loopOn({
      run: (cmd, args) => new Promise<string>((resolve) => resolve(answer(cmd, args))),
      crossCloud: () => true,
    });
    const off = () => ran.filter((l) => l === "ip netns exec nvi-inst_n ethtool -K eth0 tx off").length;
    await until(() => loop.polls() >= 3);
    expect(off()).toBe(1);
    onVeb = false;
    let at = loop.polls();
    await until(() => loop.polls() >= at + 2);
    onVeb = true;
    at = loop.polls();
    await until(() => loop.polls() >= at + 3);
    await loop.stop();
    expect(off()).toBe(2);
  });
});
