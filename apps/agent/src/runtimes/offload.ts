import type { InstanceRuntime } from "@nvi/contracts";
import type { Runner } from "../runner.ts";
import { containerName, inspect } from "./docker.ts";
import { netnsName } from "./netns.ts";

/**
 * TX checksum offload off on an instance's eth0, for hosts whose instances talk across clouds
 * (packages/controller README, "Checksums"): OVS 3.1's userspace datapath updates a still-partial,
 * offloaded L4 checksum on every address rewrite as if it were finished; a gateway's stack then
 * finishes it before WireGuard encrypts it, and every TCP and UDP packet across clouds arrives with
 * a bad checksum. With the instance computing its checksums itself, the rewrites stay correct.
 * netns and Docker instances; a VM's guest owns its virtio NIC's offloads (not done: see README).
 */
export async function txChecksumOff(
  run: Runner,
  runtime: InstanceRuntime,
  instanceId: string,
  netnsPrefix?: string,
): Promise<void> {
  if (runtime === "netns")
    await run("ip", ["netns", "exec", netnsName(instanceId, netnsPrefix), "ethtool", "-K", "eth0", "tx", "off"]);
  if (runtime === "docker") {
    const c = await inspect(run, containerName(instanceId));
    if (c?.running) await run("nsenter", ["-t", String(c.pid), "-n", "ethtool", "-K", "eth0", "tx", "off"]);
  }
}
