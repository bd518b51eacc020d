import type { InstanceRuntime } from "@nvi/contracts";
import type { Runner, Log } from "../runner.ts";
import { containerName, inspect } from "./docker.ts";
import { netnsName } from "./netns.ts";
import { vmChecksumOffload } from "./qemu.ts";

/**
 * TX checksum offload off on an instance's eth0, for hosts whose instances talk across clouds
 * (packages/controller README, "Checksums"): OVS 3.1's userspace datapath updates a still-partial,
 * offloaded L4 checksum on every address rewrite as if it were finished; a gateway's stack then
 * finishes it before WireGuard encrypts it, and every TCP and UDP packet across clouds arrives with
 * a bad checksum. With the instance computing its checksums itself, the rewrites stay correct.
 * netns and Docker instances; a VM's guest owns its virtio NIC's offloads, so its QEMU offers none
 * when it starts on such a host (qemu.ts, `guestChecksumOffload`).
 */
export async function txChecksumOff(
  run: Runner,
  runtime: InstanceRuntime,
  instanceId: string,
  netnsPrefix?: string,
): Promise<boolean> {
  if (runtime === "netns") {
    await run("ip", ["netns", "exec", netnsName(instanceId, netnsPrefix), "ethtool", "-K", "eth0", "tx", "off"]);
    return true;
  }
  if (runtime === "docker") {
    const c = await inspect(run, containerName(instanceId));
    if (c?.running) {
      await run("nsenter", ["-t", String(c.pid), "-n", "ethtool", "-K", "eth0", "tx", "off"]);
      return true;
    }
  }
  return false;
}

/**
 * Keeps TX checksum offload off on every netns and Docker instance plugged here while the host's
 * instances talk across clouds, whenever they came: started before the console said so (or before
 * this agent started), started by a command that read `crossCloud` before it turned on, or a container
 * Docker restarted (`forget`: its new eth0 has the offload on again), or one plugged again after it
 * left the VEB. `sweep` runs on every command
 * poll over what is plugged; an instance with a command running is left for a later poll, one that
 * fails is tried again at every poll (warned once). A VM cannot be changed while it runs (its guest
 * negotiated its NIC's offloads at boot): one started before is named in a warning (stop and start it).
 */
export class CrossCloudOffload {
  private readonly off = new Set<string>();
  private readonly warned = new Set<string>();
  constructor(private readonly o: { run: Runner; netnsPrefix?: string | undefined; vmDir?: string; log: Log }) {}

  /** A container's eth0 was made again: its offload is on. */
  forget(instanceId: string): void {
    this.off.delete(instanceId);
  }

  /** The host does not talk across clouds (any more): nothing is known to be off. */
  reset(): void {
    this.off.clear();
    this.warned.clear();
  }

  /** Turns the offload off where it may be on (and logs the instances it changed). */
  async sweep(plugged: readonly string[], busy: (instanceId: string) => boolean): Promise<void> {
    // an instance gone from the VEB (stopped, terminated) is forgotten: plugged again, it has a new eth0
    const here = new Set(plugged);
    for (const id of this.off) if (!here.has(id)) this.off.delete(id);
    for (const id of this.warned) if (!here.has(id)) this.warned.delete(id);
    const todo = plugged.filter((id) => !this.off.has(id) && !busy(id));
    if (todo.length === 0) return;
    // which are netns instances; without the list, nothing is guessed: the next poll tries again
    const listing = await this.o.run("ip", ["netns", "list"]).catch((e: Error) => {
      this.o.log("warn", "could not list network namespaces for the TX checksum offload", { error: e.message });
      return null;
    });
    if (listing === null) return;
    const namespaces = new Set(listing.split("\n").map((l) => l.split(" ")[0]));
    const changed: string[] = [];
    for (const id of todo) {
      const inNetns = namespaces.has(netnsName(id, this.o.netnsPrefix));
      // a VM (its QEMU runs here) cannot be changed while it runs: named if its guest still offloads
      const vmOffloads = !inNetns && this.o.vmDir ? await vmChecksumOffload(id, this.o.vmDir) : null;
      if (vmOffloads !== null) {
        if (vmOffloads)
          this.o.log("warn", "a VM started before this host talked across clouds keeps its checksum offload", {
            instanceId: id,
            effect: "its TCP and UDP across clouds arrive with bad checksums until it is stopped and started again",
          });
        this.off.add(id);
        continue;
      }
      try {
        if (await txChecksumOff(this.o.run, inNetns ? "netns" : "docker", id, this.o.netnsPrefix)) changed.push(id);
        this.off.add(id);
        this.warned.delete(id);
      } catch (e) {
        if (!this.warned.has(id))
          this.o.log("warn", "could not turn an instance's TX checksum offload off; trying again", {
            instanceId: id,
            error: (e as Error).message,
          });
        this.warned.add(id);
      }
    }
    if (changed.length > 0)
      this.o.log("info", "TX checksum offload off for cross-cloud traffic", { instances: changed });
  }
}
