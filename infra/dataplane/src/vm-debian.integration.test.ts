/* eslint-disable @typescript-eslint/no-unsafe-call -- REST answers are JSON, checked by the assertions */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { QEMU_DISK_GUEST_BOOT_MS } from "@nvi/contracts";
import { run } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJourney, type Journey } from "./journey.ts";
import { terminateVmLeavingNothing } from "./vm-terminate.ts";
import { DEBIAN_GUEST, ensureDebianImage, IMAGE_BUILD_HOOK_MS, imageDir } from "./debian-image.ts";

/**
 * The Debian 12 cloud image (infra/images/build-debian.sh) as a VM in the VPC, on real parts:
 * launched through the REST API onto a lab host, booted under TCG on its own overlay with a NoCloud
 * seed, "running" only once the guest answered (cloud-init done, network online); a netns instance
 * in the other datacenter pings it and logs in over SSH with the organization's key chosen at the
 * launch (and no other: a key of the organization not chosen is refused), as the user the launch's
 * user-data made; terminating it leaves no QEMU, tap, VEB port, overlay or seed. Prints the boot time.
 */
let j: Journey;
let keyDir = "";
const GUEST = DEBIAN_GUEST;
const BOOT_MS = QEMU_DISK_GUEST_BOOT_MS;

beforeAll(async () => {
  await ensureDebianImage();
  keyDir = await mkdtemp(path.join(tmpdir(), "nvi-vm-key-"));
  for (const name of ["chosen", "other"])
    await promisify(execFile)("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      `${name}@nvi-test`,
      "-f",
      path.join(keyDir, name),
    ]);
  j = await startJourney({
    vpcCidr: "10.51.0.0/16",
    subnetCidrs: { dc1: "10.51.1.0/24", dc2: "10.51.2.0/24" },
    agentEnv: () => Promise.resolve({ NVI_IMAGE_DIR: imageDir }),
  });
}, IMAGE_BUILD_HOOK_MS);

afterAll(async () => {
  await j?.close();
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
});

const inInstance = (id: string, cmd: string[]) => run("ip", ["netns", "exec", `${j.lab.name}-n-${id}`, ...cmd]);

describe("a Debian 12 VM in the VPC", () => {
  it(
    "boots from the cloud image through the API, answers a peer in the other datacenter (ping; SSH with the key chosen at launch, not another), terminate leaves nothing",
    async () => {
      // two keys of the organization; the launch chooses one
      const keyIds: Record<string, string> = {};
      for (const name of ["chosen", "other"]) {
        const added = await j.stack.call("POST", "/ssh-keys", {
          name,
          publicKey: await readFile(path.join(keyDir, `${name}.pub`), "utf8"),
        });
        expect(added.status, JSON.stringify(added.body)).toBe(200);
        keyIds[name] = added.body.id;
      }
      const t0 = Date.now();
      const vm = await j.launch("deb-1", "dc1", {
        runtime: "qemu",
        image: GUEST,
        cpus: 1,
        memoryMiB: 512,
        sshKeyIds: [keyIds.chosen],
        // cloud-init's own user: proves the user-data reached the guest (the key is installed for it)
        userData: "#cloud-config\nusers:\n  - default\n  - {name: ops, shell: /bin/bash, ssh_authorized_keys: []}\n",
      });
      const peer = await j.launch("peer-deb", "dc2");
      const host = j.lab.hosts.find((h) => h.dc === 1)!;
      const vmDir = path.join(host.ovsDir, "agent", "vms", vm.instance.id);
      const opPeer = await j.finished(peer.operationId);
      expect(opPeer.status, opPeer.error).toBe("succeeded");
      // booting, not running, until the guest answered
      await j.until(
        "the VM's QEMU",
        async () => (await readFile(path.join(vmDir, "qemu.pid"), "utf8").catch(() => "")) !== "",
        60_000,
      );
      const consoleText = () => readFile(path.join(vmDir, "console.log"), "utf8").catch(() => "");
      // booting, not running, until the guest answered (the status is read first: running implies the line is there)
      const early = (await j.stack.call("GET", `/instances/${vm.instance.id}`)).body.status;
      if (!(await consoleText()).includes("NVI-GUEST-READY")) expect(early).not.toBe("running");

      const opVm = await j.finished(vm.operationId, BOOT_MS + 30_000);
      expect(opVm.status, `${opVm.error}\n${(await consoleText()).slice(-3000)}`).toBe("succeeded");
      const launchedMs = Date.now() - t0;
      expect(await consoleText()).toMatch(
        new RegExp(
          `NVI-GUEST-READY name=deb-1 ip=${vm.instance.address.replaceAll(".", "\\.")}/24 mac=${vm.instance.mac}`,
        ),
      );
      const overlay = path.join(vmDir, "disk.qcow2");
      expect((await stat(overlay)).isFile()).toBe(true);
      await j.until(
        "a first ping from the peer to the VM",
        async () => (await j.pingFrom(peer.instance.id, vm.instance.address)) === true,
        30_000,
      );
      console.log(
        `Debian VM through the API: running (guest answered) ${launchedMs} ms, first ping ${Date.now() - t0} ms after the launch request`,
      );
      expect((await j.stack.call("GET", `/instances/${vm.instance.id}`)).body).toMatchObject({
        status: "running",
        runtime: "qemu",
        image: GUEST,
      });
      const banner = await inInstance(peer.instance.id, [
        "sh",
        "-c",
        `echo | busybox nc -w 5 ${vm.instance.address} 22`,
      ]);
      expect(banner).toMatch(/^SSH-2\.0-OpenSSH_9/);
      // the chosen key logs in as debian (from the other datacenter); its authorized_keys holds that key only
      const ssh = (key: string, cmd: string) =>
        inInstance(peer.instance.id, [
          "ssh",
          ...["-i", path.join(keyDir, key), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"],
          ...["-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR"],
          `debian@${vm.instance.address}`,
          cmd,
        ]);
      const authorized = await ssh("chosen", "cat ~/.ssh/authorized_keys; id -u ops");
      expect(authorized).toContain((await readFile(path.join(keyDir, "chosen.pub"), "utf8")).split(" ")[1]);
      expect(authorized).not.toContain("other@nvi-test");
      expect(authorized).toMatch(/^\d+$/m); // the user-data's user exists
      await expect(ssh("other", "true")).rejects.toThrow(/Permission denied/);

      await terminateVmLeavingNothing(j, host, vm.instance.id, vmDir); // the overlay and the seed with it
      expect((await stat(path.join(imageDir, GUEST, "disk.qcow2"))).isFile()).toBe(true);
    },
    BOOT_MS + 180_000,
  );
});
