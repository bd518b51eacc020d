import { setTimeout as sleep } from "node:timers/promises";
import { MAX_RUNNING_COMMANDS } from "@nvi/contracts";
import { CommandQueue } from "./command-queue.ts";
import { inventoryOf, runCommand } from "./commands.ts";
import type { controlPlane } from "./control-plane.ts";
import { replugRestartedContainers } from "./runtimes/docker.ts";
import { CrossCloudOffload } from "./runtimes/offload.ts";
import { qemuForHost, relaunchQemu, wantedVms, type QemuConfig } from "./runtimes/qemu.ts";
import { VmWatcher } from "./runtimes/qemu-watch.ts";
import type { Runner } from "./veb.ts";
import type { Log } from "./runner.ts";

export interface CommandLoopConfig {
  api: Pick<ReturnType<typeof controlPlane>, "commands" | "result">;
  credential: () => string;
  run: Runner;
  /** the VEB this agent owns (NVI_CONTROLLER), else null: it then refuses to plug anything */
  bridge: string | null;
  hostId: string;
  netnsPrefix?: string;
  qemu: QemuConfig;
  /** whether this host's instances talk across clouds (the heartbeat's answer, read per command) */
  crossCloud: () => boolean;
  stopping: () => boolean;
  log: Log;
  pollMs?: number;
}

/**
 * Commands from the console: polled every 2 s over the agent's own outbound call (reporting what is
 * plugged, so the console sees drift, and which commands are still running here, so they are not
 * handed out again), run by a CommandQueue (several at once, one at a time per instance),
 * each answered with its result as it ends. A poll does not wait for the commands it started.
 */
export async function commandLoop(c: CommandLoopConfig): Promise<void> {
  const { api, bridge, run, log } = c;
  const queue = new CommandQueue({
    run: (body) =>
      runCommand(run, bridge, body, {
        hostId: c.hostId,
        netnsPrefix: c.netnsPrefix,
        qemu: c.qemu,
        crossCloud: c.crossCloud(),
      }),
    report: async (id, result) => void (await api.result(c.credential(), id, result)),
    log,
  });
  let quietFailures = 0;
  // started (or back after losing the console): what it was handed before comes again at once
  let resume = true;
  // VMs whose QEMU died are started again here, never alongside a command of the same VM
  const vmWatcher = bridge
    ? new VmWatcher({
        list: async () => (await wantedVms(c.qemu)).filter((vm) => !queue.busy(vm.instanceId)),
        restart: (id) => relaunchQemu(run, bridge, id, qemuForHost(c.qemu, c.crossCloud())),
        log,
      })
    : null;
  const offload = new CrossCloudOffload({ run, netnsPrefix: c.netnsPrefix, vmDir: c.qemu.vmDir, log });
  while (!c.stopping()) {
    try {
      // commands enter the queue only below, in this loop: an instance not busy now stays so meanwhile
      await vmWatcher?.tick();
      const busy = (id: string) => queue.busy(id);
      if (bridge) {
        const replugged = await replugRestartedContainers(run, bridge, c.hostId, { busy }).catch((e: Error) => {
          log("warn", "could not re-plug a restarted container", { error: e.message });
          return [];
        });
        if (replugged.length > 0) log("info", "re-plugged restarted containers", { instances: replugged });
        for (const id of replugged) offload.forget(id); // a new eth0, its offload on again
      }
      const inventory = await inventoryOf(run, bridge);
      // instances here talk across clouds: TX checksum offload off on every one plugged (README, "Checksums")
      if (c.crossCloud())
        await offload.sweep(
          inventory.map((i) => i.instanceId),
          busy,
        );
      else offload.reset();
      if (queue.lost) [resume, queue.lost] = [true, false];
      const { commands, missing } = await api.commands(
        c.credential(),
        inventory,
        resume,
        queue.inFlight().slice(0, MAX_RUNNING_COMMANDS),
      );
      resume = false;
      if (missing.length > 0) log("warn", "the console expects instances this host does not have", { missing });
      queue.add(commands);
      quietFailures = 0;
    } catch (error) {
      resume = true;
      if (quietFailures++ % 10 === 0)
        log("warn", "command poll failed; will retry", { error: (error as Error).message });
    }
    await sleep(c.pollMs ?? 2_000);
  }
}
