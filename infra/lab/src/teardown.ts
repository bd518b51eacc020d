import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { run, sleep, tryRun } from "./exec.ts";
import { prefixOf } from "./plan.ts";
import { pidsInNs, stopPids } from "./processes.ts";
import { readState, runDirOf, withLabLock } from "./state.ts";

/**
 * Everything a lab creates is named `<lab>-…`: namespaces (hosts, datacenter switches, router,
 * instances) and the few links in the root namespace (management bridge and veth ends). Every
 * process it starts runs inside one of those namespaces. So teardown needs no memory: stop the
 * processes inside our namespaces, delete our namespaces, delete our root links, remove the run
 * dir. Nothing without the prefix is ever looked at twice.
 */

/** Names of network namespaces that start with `prefix`. */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const out = await run("ip", ["netns", "list"]);
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.startsWith(prefix));
}

/** Names of root-namespace links that start with `prefix`. */
export async function rootLinksWithPrefix(prefix: string): Promise<string[]> {
  const out = await run("ip", ["-o", "link", "show"]);
  return out
    .split("\n")
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? "")
    .filter((n) => n.startsWith(prefix));
}

export interface Leftovers {
  namespaces: string[];
  links: string[];
  processes: number[];
}

export async function findLeftovers(lab: string): Promise<Leftovers> {
  const prefix = prefixOf(lab);
  const namespaces = await namespacesWithPrefix(prefix);
  const processes = (await Promise.all(namespaces.map(pidsInNs))).flat();
  return { namespaces, links: await rootLinksWithPrefix(prefix), processes };
}

export const isEmpty = (l: Leftovers): boolean => l.namespaces.length + l.links.length + l.processes.length === 0;

export interface DownReport {
  lab: string;
  hadState: boolean;
  stopped: number;
  namespaces: number;
  links: number;
  ms: number;
}

/** Removes lab `lab` and anything left with its prefix. Idempotent: an absent lab is a no-op. */
export async function sweep(lab: string): Promise<DownReport> {
  const t0 = Date.now();
  const prefix = prefixOf(lab);
  const state = await readState(lab).catch(() => null);
  const namespaces = await namespacesWithPrefix(prefix);
  // processes first (agents, instance servers, vswitchd, ovsdb-server): all in our namespaces
  let stopped = 0;
  await Promise.all(
    namespaces.map(async (ns) => {
      const pids = await pidsInNs(ns);
      stopped += pids.length;
      await stopPids(pids, ns);
    }),
  );
  await Promise.all(namespaces.map((ns) => tryRun("ip", ["netns", "del", ns])));
  // the root ends of management veths vanish with their namespaces, asynchronously; delete what stays
  let links = 0;
  for (let i = 0; i < 40; i++) {
    const left = await rootLinksWithPrefix(prefix);
    if (left.length === 0) break;
    if (i === 0) links = left.length;
    await Promise.all(left.map((l) => tryRun("ip", ["link", "del", l])));
    await sleep(25);
  }
  await rm(runDirOf(lab), { recursive: true, force: true });
  return { lab, hadState: state !== null, stopped, namespaces: namespaces.length, links, ms: Date.now() - t0 };
}

export interface DownResult extends DownReport {
  /** names with the prefix that were left alone: no run dir says a lab made them */
  untouched: Leftovers | null;
}

/**
 * `down` from the CLI or a test: waits for a concurrent writer of the same lab, then sweeps.
 * `up` creates the run dir before anything else and the sweep removes it last, so without a run
 * dir nothing with the prefix was made by a lab here (another tool may use the same prefix):
 * those are left alone unless `force`.
 */
export async function labDown(lab: string, options: { force?: boolean } = {}): Promise<DownResult> {
  if (!options.force && !existsSync(runDirOf(lab))) {
    const left = await findLeftovers(lab);
    return { lab, hadState: false, stopped: 0, namespaces: 0, links: 0, ms: 0, untouched: isEmpty(left) ? null : left };
  }
  return { ...(await withLabLock(lab, () => sweep(lab))), untouched: null };
}
