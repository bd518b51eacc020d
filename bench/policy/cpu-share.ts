import { readdirSync, readFileSync } from "node:fs";

/**
 * Who used the CPU over an interval: every process's user + system time from /proc, summed by what
 * it is (the console and the worker by pid, the rest by command name), so a saturated run says
 * where the two vCPUs went. A process that started within the interval counts from its start; one
 * that ended within it is not counted.
 */
export type CpuSample = { at: number; ticks: Map<number, { name: string; ticks: number }> };

const TICK_MS = 10; // USER_HZ is 100 on Linux

function processes(named: Record<number, string>): CpuSample["ticks"] {
  const out: CpuSample["ticks"] = new Map();
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(pid, { name: named[pid] ?? comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // it ended between the listing and the read
    }
  }
  return out;
}

export function sampleCpu(named: Record<number, string>): CpuSample {
  return { at: performance.now(), ticks: processes(named) };
}

/** One process's CPU time (ms) between two samples; NaN if it is missing from either. */
export function cpuMsOf(before: CpuSample, after: CpuSample, pid: number): number {
  return ((after.ticks.get(pid)?.ticks ?? NaN) - (before.ticks.get(pid)?.ticks ?? NaN)) * TICK_MS;
}

/** "console 57 %, postgres 41 %, …": each kind's share of one CPU between two samples, the largest first. */
export function cpuShares(before: CpuSample, after: CpuSample, top = 8): string {
  const seconds = (after.at - before.at) / 1000;
  const byName = new Map<string, number>();
  for (const [pid, p] of after.ticks) {
    const used = p.ticks - (before.ticks.get(pid)?.ticks ?? 0);
    if (used > 0) byName.set(p.name, (byName.get(p.name) ?? 0) + used);
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ticks]) => `${name} ${((ticks * TICK_MS) / 10 / seconds).toFixed(0)} %`)
    .join(", ");
}
