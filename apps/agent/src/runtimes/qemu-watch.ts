/**
 * The VM watcher: a VM this host is meant to run (started, not stopped or removed on purpose)
 * whose QEMU is gone (crashed, killed, the guest powered off, the host rebooted) is started again
 * on its tap, with the same definition and disk. Repeated deaths back off exponentially (1 s, 2 s,
 * 4 s… up to 5 min), so a guest that dies at boot does not spin; a VM that stayed up for a while
 * starts again from the shortest delay. Every restart and every failed attempt is logged.
 */
export interface WatchedVm {
  instanceId: string;
  alive: boolean;
}

export interface VmWatcherDeps {
  /** the VMs meant to run, with whether their QEMU is alive */
  list: () => Promise<WatchedVm[]>;
  /** starts the VM's QEMU again (without waiting for its guest) */
  restart: (instanceId: string) => Promise<void>;
  log: (level: "info" | "warn", msg: string, fields: Record<string, unknown>) => void;
  now?: () => number;
  /** the first retry's delay; doubled per death up to maxBackoffMs */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** up this long and the next death counts as the first again */
  stableMs?: number;
}

interface Track {
  /** deaths in a row without a stable run between them */
  deaths: number;
  /** not before this time */
  nextTry: number;
  /** when its QEMU was last (re)started by the watcher, or first seen alive */
  upSince: number | null;
}

export class VmWatcher {
  private readonly tracks = new Map<string, Track>();
  private readonly now: () => number;
  private readonly base: number;
  private readonly max: number;
  private readonly stable: number;

  constructor(private readonly deps: VmWatcherDeps) {
    this.now = deps.now ?? Date.now;
    this.base = deps.baseBackoffMs ?? 1_000;
    this.max = deps.maxBackoffMs ?? 300_000;
    this.stable = deps.stableMs ?? 600_000;
  }

  /** One look at every wanted VM; returns the instances restarted this time. Never throws. */
  async tick(): Promise<string[]> {
    const vms = await this.deps.list().catch((e: Error) => {
      this.deps.log("warn", "vm watcher: could not list the VMs", { error: e.message });
      return null;
    });
    if (!vms) return [];
    const now = this.now();
    for (const id of this.tracks.keys()) if (!vms.some((v) => v.instanceId === id)) this.tracks.delete(id);
    const restarted: string[] = [];
    for (const vm of vms) {
      const t = this.tracks.get(vm.instanceId) ?? { deaths: 0, nextTry: 0, upSince: null };
      this.tracks.set(vm.instanceId, t);
      if (vm.alive) {
        t.upSince ??= now;
        if (now - t.upSince >= this.stable) t.deaths = 0;
        continue;
      }
      if (t.upSince !== null) {
        // just found dead: schedule the restart after the backoff its history earns
        t.deaths = now - t.upSince >= this.stable ? 1 : t.deaths + 1;
        t.upSince = null;
        t.nextTry = now + this.delay(t.deaths);
        this.deps.log("warn", "vm watcher: QEMU died", {
          instanceId: vm.instanceId,
          deaths: t.deaths,
          retryInMs: t.nextTry - now,
        });
      }
      if (now < t.nextTry) continue;
      try {
        await this.deps.restart(vm.instanceId);
        t.upSince = this.now();
        restarted.push(vm.instanceId);
        this.deps.log("info", "vm watcher: restarted a VM whose QEMU died", {
          instanceId: vm.instanceId,
          deaths: t.deaths,
        });
      } catch (e) {
        t.deaths += 1;
        t.nextTry = this.now() + this.delay(t.deaths);
        this.deps.log("warn", "vm watcher: restart failed", {
          instanceId: vm.instanceId,
          error: (e as Error).message,
          retryInMs: t.nextTry - this.now(),
        });
      }
    }
    return restarted;
  }

  private delay(deaths: number): number {
    return Math.min(this.max, this.base * 2 ** Math.max(0, deaths - 1));
  }
}
