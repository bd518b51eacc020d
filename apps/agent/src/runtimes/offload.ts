import type { InstanceRuntime } from "@nvi/contracts";
import type { Runner } from "../runner.ts";
import { listBindings } from "../veb.ts";
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

/**
 * The same for every netns and Docker instance plugged into `bridge`: when this host's instances
 * start talking across clouds (the console's heartbeat answer turns `crossCloud` on, or the agent
 * starts on such a host), those already running had their offload on. Returns the instances done;
 * one that fails is left for the caller to log, the others are still done.
 */
export async function txChecksumOffAll(
  run: Runner,
  bridge: string,
  netnsPrefix?: string,
): Promise<{ done: string[]; failed: { instanceId: string; error: string }[] }> {
  const namespaces = new Set(
    (await run("ip", ["netns", "list"]).catch(() => ""))
      .split("\n")
      .map((l) => l.split(" ")[0])
      .filter(Boolean),
  );
  const out = { done: [] as string[], failed: [] as { instanceId: string; error: string }[] };
  for (const { instanceId } of await listBindings(run, bridge)) {
    // a netns instance has its namespace; a VM's tap has neither (its guest owns its offloads)
    const runtime = namespaces.has(netnsName(instanceId, netnsPrefix)) ? "netns" : "docker";
    try {
      await txChecksumOff(run, runtime, instanceId, netnsPrefix);
      out.done.push(instanceId);
    } catch (e) {
      out.failed.push({ instanceId, error: (e as Error).message });
    }
  }
  return out;
}
