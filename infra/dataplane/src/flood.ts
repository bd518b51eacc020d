import { spawn } from "node:child_process";
import { mkdir, rmdir, writeFile } from "node:fs/promises";
import { tryRun } from "@nvi/lab";
import { txPackets } from "./probes.ts";

/**
 * A noisy neighbour for the tests and the benchmark: an instance flooding brand-new conversations
 * (hping3 --flood, UDP to random addresses, as fast as it can), and the first echo of a brand-new
 * pair seen by someone else.
 */
export interface Flood {
  /** packets the flooder's eth0 sent since the start */
  sent(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Start flooding from instance namespace `ns`. `cpus` caps the flooder like a container's CPU
 * limit (cgroup v1 cpu quota; undefined: as fast as one core goes).
 */
export async function startFlood(ns: string, options: { cpus?: number } = {}): Promise<Flood> {
  const at = await txPackets(ns);
  const child = spawn(
    "ip",
    ["netns", "exec", ns, "hping3", "--flood", "--rand-dest", "-q", "-2", "-p", "9", "-I", "eth0", "10.x.x.x"],
    {
      stdio: "ignore",
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let cgroup: string | undefined;
  if (options.cpus !== undefined && child.pid !== undefined) {
    cgroup = `/sys/fs/cgroup/cpu/nvi-flood-${child.pid}`;
    await mkdir(cgroup);
    await writeFile(`${cgroup}/cpu.cfs_period_us`, "100000");
    await writeFile(`${cgroup}/cpu.cfs_quota_us`, String(Math.round(options.cpus * 100_000)));
    // ip netns exec has become hping3 by now (exec): the pid is the flooder's
    await writeFile(`${cgroup}/cgroup.procs`, String(child.pid));
  }
  return {
    sent: async () => (await txPackets(ns)) - at,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      if (cgroup) await rmdir(cgroup).catch(() => undefined);
    },
  };
}

/** The first echo of a brand-new pair: answered within 2 s, and its round trip (ms). */
export async function firstEcho(from: string, to: string): Promise<{ answered: boolean; ms?: number }> {
  const r = await tryRun("ip", ["netns", "exec", from, "ping", "-n", "-c", "1", "-W", "2", to]);
  const m = /icmp_seq=1 ttl=\d+ time=([\d.]+) ms/.exec(r.out);
  return m ? { answered: true, ms: Number(m[1]) } : { answered: false };
}
