/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-return -- REST answers are JSON, checked by the assertions */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { run } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startJourney, type Journey } from "./journey.ts";
import { terminateVmLeavingNothing } from "./vm-terminate.ts";
import { ROOT } from "./stack.ts";

/**
 * A QEMU VM in the VPC, on real parts: launched through the REST API onto a lab host (the agent
 * boots the guest that infra/images/build-guest.sh makes, under TCG, on a tap plugged into its VEB),
 * reached from a netns instance in the other datacenter by ping, TCP echo and HTTP; terminated
 * without leaving its QEMU process, tap or VEB port behind. Prints the boot time.
 */
let j: Journey;
const GUEST = "nvi-busybox";
const imageDir = process.env.NVI_IMAGE_DIR ?? "/var/lib/nvi/images";

beforeAll(async () => {
  await promisify(execFile)(path.join(ROOT, "infra/images/build-guest.sh"), [GUEST], {
    timeout: 300_000,
    env: { ...process.env, NVI_IMAGE_DIR: imageDir },
  });
  j = await startJourney({
    vpcCidr: "10.50.0.0/16",
    subnetCidrs: { dc1: "10.50.1.0/24", dc2: "10.50.2.0/24" },
    agentEnv: () => Promise.resolve({ NVI_IMAGE_DIR: imageDir }),
  });
});

afterAll(async () => {
  await j?.close();
});

/** Runs a command inside a netns instance. */
const inInstance = (id: string, cmd: string[]) => run("ip", ["netns", "exec", `${j.lab.name}-n-${id}`, ...cmd]);

describe("a QEMU VM in the VPC", () => {
  it("hosts report qemu only with QEMU and a guest; a path as image is refused", async () => {
    const hosts = (await j.stack.call("GET", "/hosts")).body as any[];
    expect(hosts.map((h) => h.facts.runtimes.qemu)).toEqual([true, true]);
    const r = await j.stack.call("POST", "/instances", {
      name: "vm-bad",
      subnetId: j.subnets.dc1,
      runtime: "qemu",
      image: "/etc/passwd",
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain("image");
  });

  it("boots on one datacenter's host, a netns instance in the other reaches it (ping, TCP echo, HTTP), terminate leaves nothing", async () => {
    const t0 = Date.now();
    const vm = await j.launch("vm-1", "dc1", { runtime: "qemu", image: GUEST, cpus: 1, memoryMiB: 128 });
    const peer = await j.launch("peer-1", "dc2");
    const [opVm, opPeer] = await Promise.all([j.finished(vm.operationId, 90_000), j.finished(peer.operationId)]);
    expect(opVm.status, opVm.error).toBe("succeeded");
    expect(opPeer.status, opPeer.error).toBe("succeeded");
    const launchedMs = Date.now() - t0;
    const host = j.lab.hosts.find((h) => h.dc === 1)!;
    const vmDir = path.join(host.ovsDir, "agent", "vms", vm.instance.id);
    await j.until(
      "the guest's NVI-GUEST-READY",
      async () => (await readFile(path.join(vmDir, "console.log"), "utf8").catch(() => "")).includes("NVI-GUEST-READY"),
      90_000,
    );
    const readyMs = Date.now() - t0;
    await j.until(
      "a first ping from the peer to the VM",
      async () => (await j.pingFrom(peer.instance.id, vm.instance.address)) === true,
      30_000,
    );
    const pingMs = Date.now() - t0;
    console.log(
      `VM boot through the API: operation succeeded ${launchedMs} ms, guest ready ${readyMs} ms, first ping ${pingMs} ms after the launch request`,
    );

    const shown = (await j.stack.call("GET", `/instances/${vm.instance.id}`)).body;
    expect(shown).toMatchObject({ status: "running", runtime: "qemu", image: GUEST, hostId: j.hostIds.dc1 });
    expect(await j.pingFrom(peer.instance.id, vm.instance.address)).toBe(true);
    expect(
      await inInstance(peer.instance.id, [
        "sh",
        "-c",
        `echo across-datacenters | busybox nc -w 3 ${vm.instance.address} 7`,
      ]),
    ).toContain("across-datacenters");
    // HTTP by hand: busybox-static's wget segfaults inside the lab's instance namespaces
    const http = await inInstance(peer.instance.id, [
      "sh",
      "-c",
      `printf 'GET /name HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 ${vm.instance.address} 80`,
    ]);
    expect(http).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(http.trim().split("\n").at(-1)).toBe("vm-1");
    // the console's reachability check: towards a VM from an instance works; from this VM (its busybox
    // guest runs no qemu-guest-agent) it is refused at once, before any command reaches the host
    // (issue 17, bug 4), saying why
    const towards = await j.stack.call("POST", `/instances/${peer.instance.id}/reachability`, {
      toInstanceId: vm.instance.id,
      protocol: "tcp",
      port: 7,
    });
    expect(towards.body, JSON.stringify(towards.body)).toMatchObject({ reachable: true, result: "open" });
    const fromVm = await j.stack.call("POST", `/instances/${vm.instance.id}/reachability`, {
      toInstanceId: peer.instance.id,
    });
    expect(fromVm.status).toBe(400);
    expect(JSON.stringify(fromVm.body)).toContain(
      "instance vm-1: its guest (nvi-busybox) has no agent (qemu-guest-agent) to send a probe from",
    );

    // stop powers the VM off (address and port kept, unreachable); start boots it again on the same port
    const stopped = await j.stack.call("POST", `/instances/${vm.instance.id}/stop`, {});
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(202);
    expect((await j.finished(stopped.body.operationId)).status).toBe("succeeded");
    expect((await j.stack.call("GET", `/instances/${vm.instance.id}`)).body).toMatchObject({
      status: "stopped",
      address: vm.instance.address,
    });
    expect(await j.pingFrom(peer.instance.id, vm.instance.address)).not.toBe(true);
    const started = await j.stack.call("POST", `/instances/${vm.instance.id}/start`, {});
    const startOp = await j.finished(started.body.operationId, 90_000);
    expect(startOp.status, startOp.error).toBe("succeeded");
    await j.until(
      "the VM to answer again after start",
      async () => (await j.pingFrom(peer.instance.id, vm.instance.address)) === true,
      60_000,
    );
    expect((await j.stack.call("GET", `/instances/${vm.instance.id}`)).body).toMatchObject({
      status: "running",
      ofport: shown.ofport,
    });

    const pid = Number((await readFile(path.join(vmDir, "qemu.pid"), "utf8")).trim());
    expect(await run("ip", ["netns", "pids", host.ns])).toContain(String(pid));
    await terminateVmLeavingNothing(j, host, vm.instance.id, vmDir);
    expect(await stackAllocations(vm.instance.id)).toBe(0);
  });
});

describe("a QEMU VM's serial console", () => {
  it("opens through the real relay (console ⇄ the host's agent ⇄ QEMU): a typed command is answered; replay and another tenant are refused; stop ends it", async () => {
    const vm = await j.launch("vm-console", "dc1", { runtime: "qemu", image: GUEST, cpus: 1, memoryMiB: 128 });
    const op = await j.finished(vm.operationId, 120_000);
    expect(op.status, op.error).toBe("succeeded");
    const opened = await j.stack.call("POST", `/instances/${vm.instance.id}/serial-console`, {});
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    const url = `${j.stack.apiUrl.replace(/^http/, "ws")}${opened.body.path}?ticket=`;
    const ws = new WebSocket(url + encodeURIComponent(opened.body.ticket));
    let screen = "";
    const states: string[] = [];
    ws.on("message", (d: Buffer, binary) => {
      if (binary) screen += d.toString();
      else states.push(JSON.parse(d.toString()).state);
    });
    const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
    await j.until(
      "the console connected through the host's agent",
      () => Promise.resolve(states.includes("connected")),
      30_000,
    );
    const n = Math.floor(Math.random() * 1e6);
    // the shell's answer, not the echo of what was typed: $((n+1)) is computed by the guest
    await j.until(
      "the guest's answer to a typed command",
      async () => {
        ws.send(Buffer.from(`echo hi-$((${n}+1)); ip -4 addr show eth0\r`), { binary: true });
        await new Promise((r) => setTimeout(r, 1000));
        return screen.includes(`hi-${n + 1}`) && screen.includes(`inet ${vm.instance.address}/`);
      },
      30_000,
    );
    // the ticket was spent: a replay is refused; another tenant gets no ticket for this VM
    const replay = new WebSocket(url + encodeURIComponent(opened.body.ticket));
    expect(await new Promise<number>((r) => replay.on("close", (code) => r(code)))).toBe(4401);
    const other = await j.stack.newTenant();
    expect((await other.call("POST", `/instances/${vm.instance.id}/serial-console`, {})).status).toBe(404);
    // stopping the VM ends the session, saying so
    const stopped = await j.stack.call("POST", `/instances/${vm.instance.id}/stop`, {});
    expect((await j.finished(stopped.body.operationId)).status).toBe("succeeded");
    expect([4404, 4410]).toContain(await closed);
    const gone = await j.stack.call("DELETE", `/instances/${vm.instance.id}`);
    expect((await j.finished(gone.body.operationId)).status).toBe("succeeded");
  });
});

const stackAllocations = (holderId: string) => j.stack.deps.db.ipAllocation.count({ where: { holderId } });
