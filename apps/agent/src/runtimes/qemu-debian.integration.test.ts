import { execFile } from "node:child_process";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { labDown, labUp, hostRunner, type LabState } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labVmConfig } from "../test-support/vm-lab.ts";
import type { Runner } from "../veb.ts";
import { QEMU_DISK_GUEST_BOOT_MS } from "@nvi/contracts";
import { consoleLogOf, removeQemu, startQemu, type QemuConfig } from "./qemu.ts";
import { instanceSpec } from "../test-support/spec.ts";

/**
 * The Debian 12 cloud image (infra/images/build-debian.sh, built here when missing, cached
 * after) booted by the agent's qemu runtime on a lab host under TCG: its own overlay, the NoCloud
 * seed's hostname, SSH key and user-data reach the guest (cloud-init prints the key's
 * fingerprint and the user-data's line on the serial console), "started" only once the guest
 * printed NVI-GUEST-READY, and removal leaves no overlay. Prints the boot time.
 */
const sh = promisify(execFile);
const IMAGE = "nvi-debian12";
let lab: LabState;
let inHost: Runner;
let config: QemuConfig;
let key: string;
const name = `nvd${Math.random().toString(36).slice(2, 6)}`;
const spec = instanceSpec({
  instanceId: "inst_qemuDebian000001",
  name: "deb-life",
  runtime: "qemu",
  image: IMAGE,
  memoryMiB: 512,
  mac: "0a:42:00:00:00:09",
  address: "10.62.0.9",
  gateway: "10.62.0.1",
});

beforeAll(async () => {
  await sh(path.resolve(import.meta.dirname, "../../../../infra/images/build-debian.sh"), [IMAGE], {
    timeout: 1_200_000,
  });
  const keyDir = await mkdtemp(path.join(tmpdir(), "nvi-key-"));
  await sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "lab@nvi-test", "-f", path.join(keyDir, "id")]);
  key = (await readFile(path.join(keyDir, "id.pub"), "utf8")).trim();
  lab = await labUp({ name, datacenters: 1, hostsPerDc: 1 });
  inHost = hostRunner(lab.hosts[0]!);
  config = labVmConfig(lab.runDir);
}, 1_300_000);
afterAll(async () => {
  if (config) await removeQemu(inHost, lab.hosts[0]!.bridge, spec.instanceId, config).catch(() => undefined);
  if (lab) await labDown(lab.name, { force: true });
});

describe("a Debian 12 VM from the cloud image", () => {
  it(
    "boots on its own overlay, takes the seed's hostname, network, SSH key and user-data, and is removed with its overlay",
    async () => {
      const host = lab.hosts[0]!;
      const t0 = Date.now();
      await startQemu(inHost, host.bridge, { ...spec, sshKeys: [key], userData: USER_DATA }, config);
      console.log(`Debian VM: started (guest answered) ${Date.now() - t0} ms after startQemu`);
      const dir = path.join(config.vmDir, spec.instanceId);
      const overlay = JSON.parse(
        (await sh("qemu-img", ["info", "--output=json", "-U", path.join(dir, "disk.qcow2")])).stdout,
      ) as {
        "backing-filename": string;
      };
      expect(overlay["backing-filename"]).toBe(path.join(config.imageDir, IMAGE, "disk.qcow2"));
      const consoleText = await readFile(consoleLogOf(config.vmDir, spec.instanceId), "utf8");
      expect(consoleText).toMatch(/NVI-GUEST-READY name=deb-life ip=10\.62\.0\.9\/24 mac=0a:42:00:00:00:09/);
      expect(consoleText).toContain("NVI-USER-DATA-RAN deb-life"); // the user-data's runcmd ran
      // cloud-init lists the authorized keys it installed for the default user, with their comment
      expect(consoleText).toMatch(/Authorized keys from \/home\/debian\/\.ssh\/authorized_keys for user debian/);
      expect(consoleText).toContain("lab@nvi-test");
      // a getty on the serial console (it may print its prompt just after the ready line)
      for (
        let i = 0;
        i < 120 && !/deb-life login:/.test(await readFile(consoleLogOf(config.vmDir, spec.instanceId), "utf8"));
        i++
      )
        await new Promise((r) => setTimeout(r, 500));
      expect(await readFile(consoleLogOf(config.vmDir, spec.instanceId), "utf8")).toMatch(/deb-life login:/);

      await removeQemu(inHost, host.bridge, spec.instanceId, config);
      expect(
        await stat(dir).then(
          () => "present",
          () => "gone",
        ),
      ).toBe("gone");
      expect((await stat(path.join(config.imageDir, IMAGE, "disk.qcow2"))).isFile()).toBe(true); // the image stays
    },
    QEMU_DISK_GUEST_BOOT_MS + 120_000,
  );
});

const USER_DATA = `#cloud-config
runcmd:
  - [sh, -c, 'echo "NVI-USER-DATA-RAN $(hostname)" > /dev/ttyS0']
`;
