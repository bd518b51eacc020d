/* eslint-disable @typescript-eslint/no-explicit-any -- REST answers are JSON, checked by the assertions */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { QEMU_DISK_GUEST_BOOT_MS } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJourney, type Journey } from "./journey.ts";
import { DEBIAN_GUEST, ensureDebianImage, IMAGE_BUILD_HOOK_MS, imageDir } from "./debian-image.ts";

/**
 * "Can it reach…?" from a VM (issue 17): the Debian 12 cloud image's qemu-guest-agent runs the probe
 * inside the guest, so the packets leave the VM's own kernel, NIC, tap and VEB port. On real parts:
 * the REST API, the worker with the TSC, two lab hosts in two datacenters, the agent talking QGA on
 * the socket QEMU gives the channel. The VM reaches a netns instance in the other datacenter (ping;
 * TCP refused by the peer's kernel: the path works), and after the default group is unplugged from
 * itself it reaches nothing. Builds the image first when it is not current (about 20 minutes on a
 * new machine), so it never skips.
 */
const GUEST = DEBIAN_GUEST;
const BOOT_MS = QEMU_DISK_GUEST_BOOT_MS;
let j: Journey;

describe("a probe sent from inside a Debian VM through its guest agent", () => {
  beforeAll(async () => {
    await ensureDebianImage();
    j = await startJourney({
      vpcCidr: "10.52.0.0/16",
      subnetCidrs: { dc1: "10.52.1.0/24", dc2: "10.52.2.0/24" },
      agentEnv: () => Promise.resolve({ NVI_IMAGE_DIR: imageDir }),
    });
  }, IMAGE_BUILD_HOOK_MS);

  afterAll(async () => {
    await j?.close();
  });

  it(
    "reaches a netns instance in the other datacenter (ping, TCP refused by its kernel); after unplug, nothing",
    async () => {
      const vm = await j.launch("deb-probe", "dc1", { runtime: "qemu", image: GUEST, cpus: 1, memoryMiB: 512 });
      const peer = await j.launch("peer-probe", "dc2");
      const vmDir = path.join(j.lab.hosts.find((h) => h.dc === 1)!.ovsDir, "agent", "vms", vm.instance.id);
      const consoleText = () => readFile(path.join(vmDir, "console.log"), "utf8").catch(() => "");
      expect((await j.finished(peer.operationId)).status).toBe("succeeded");
      const opVm = await j.finished(vm.operationId, BOOT_MS + 30_000);
      expect(opVm.status, `${opVm.error}\n${(await consoleText()).slice(-3000)}`).toBe("succeeded");

      // the host says which of its guests run the agent: the disk image does
      const hosts = (await j.stack.call("GET", "/hosts")).body as any[];
      expect(hosts.find((h) => h.id === j.hostIds.dc1).facts.images.qemuGuestAgent).toContain(GUEST);

      const probe = (body: Record<string, unknown>) =>
        j.stack.call("POST", `/instances/${vm.instance.id}/reachability`, { toInstanceId: peer.instance.id, ...body });
      const t0 = Date.now();
      const echo = await probe({});
      const echoMs = Date.now() - t0;
      expect(echo.status, JSON.stringify(echo.body)).toBe(200);
      expect(echo.body).toMatchObject({
        reachable: true,
        result: "open",
        protocol: "icmp",
        from: { name: "deb-probe", address: vm.instance.address },
        to: { name: "peer-probe", address: peer.instance.address },
      });
      expect(echo.body.detail).toMatch(
        /^[1-3]\/3 echo replies from .* \(sent from inside the VM by its guest agent\)$/,
      );
      expect(echo.body.rttMs).toBeGreaterThan(0);
      // nothing listens on a bare namespace: its kernel resets the connection, so the path works
      const refused = await probe({ protocol: "tcp", port: 443 });
      expect(refused.body, JSON.stringify(refused.body)).toMatchObject({ reachable: false, result: "refused" });
      console.log(`probe from the Debian VM through qemu-guest-agent: ping answered in ${echoMs} ms end to end`);

      // unplug the default group from itself: the pair is revoked, the VM's packets go nowhere
      const groups = (await j.stack.call("GET", "/groups")).body as any[];
      const dflt = groups.find((g) => g.name === "default").id as string;
      const unplug = await j.stack.call("POST", "/policy/unplug", { srcGroupId: dflt, dstGroupId: dflt });
      expect(unplug.status, JSON.stringify(unplug.body)).toBe(202);
      expect((await j.finished(unplug.body.operationId, 30_000)).status).toBe("succeeded");
      const silent = await probe({});
      expect(silent.body, JSON.stringify(silent.body)).toMatchObject({
        reachable: false,
        result: "no-answer",
        detail: "0/3 echo replies from " + peer.instance.address + " (sent from inside the VM by its guest agent)",
      });
      expect((await probe({ protocol: "tcp", port: 443 })).body).toMatchObject({ result: "no-answer" });
      expect(
        await j.stack.deps.db.hostCommand.count({ where: { kind: "instance.probe", host: { orgId: j.stack.orgId } } }),
      ).toBe(0);
    },
    BOOT_MS + 180_000,
  );
});
