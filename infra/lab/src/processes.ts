import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { readlink, readFile, stat } from "node:fs/promises";
import { childEnv, hostEnv } from "./env.ts";
import { LabError, sleep, tryRun } from "./exec.ts";

/**
 * Processes the lab starts live inside the lab's own namespaces and are stopped by PID, only
 * after checking that the PID still runs in that namespace (a recycled PID is someone else's).
 */

/**
 * Starts `argv` in netns `ns` in a session of its own (so its children die with it), output to
 * `logFile`. `ip netns exec` also gives it a mount namespace of its own (so /sys shows the netns);
 * `networkOnly` enters just the network namespace (nsenter), as an agent on a real host lives:
 * the namespaces it creates (`ip netns add`) are then visible to everyone, and to its next run.
 */
export async function spawnInNs(
  ns: string,
  argv: readonly string[],
  logFile: string,
  env: Record<string, string> = {},
  o: { networkOnly?: boolean; hostOnlyEnv?: boolean } = {},
): Promise<number> {
  const fd = openSync(logFile, "a");
  try {
    const enter = o.networkOnly ? ["nsenter", `--net=/run/netns/${ns}`, "--"] : ["ip", "netns", "exec", ns];
    const child = spawn(enter[0]!, [...enter.slice(1), ...argv], {
      detached: true,
      stdio: ["ignore", fd, fd],
      // the assertion is needed where Next's types make NODE_ENV required (infra/dataplane compiles this file)
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      env: o.hostOnlyEnv ? (hostEnv(env) as NodeJS.ProcessEnv) : childEnv(env),
    });
    const pid = child.pid;
    if (pid === undefined) throw new LabError(`could not start ${argv.join(" ")} in ${ns}`);
    const early = new Promise<number | null>((resolve) => {
      child.once("exit", (code) => resolve(code ?? -1));
      child.once("error", () => resolve(-1));
    });
    child.unref();
    // `ip netns exec` and nsenter exec the command in place once in the namespace; a command that
    // fails at once (bad path, syntax) gets a moment to say so
    const outcome = await Promise.race([
      early,
      waitInNs(pid, ns, 3_000)
        .then(() => sleep(300))
        .then(() => null),
    ]);
    if (outcome !== null) {
      const tail = (await readFile(logFile, "utf8").catch(() => "")).trim().split("\n").slice(-5).join("\n");
      throw new LabError(`${argv.join(" ")} in ${ns} exited at once (code ${outcome})${tail ? `:\n${tail}` : ""}`);
    }
    return pid;
  } finally {
    closeSync(fd);
  }
}

async function nsInode(ns: string): Promise<number | null> {
  try {
    return (await stat(`/run/netns/${ns}`)).ino;
  } catch {
    return null;
  }
}

/** True if `pid` runs in network namespace `ns` (by inode of /proc/PID/ns/net vs /run/netns/NS). */
export async function pidInNs(pid: number, ns: string): Promise<boolean> {
  const want = await nsInode(ns);
  if (want === null) return false;
  try {
    const link = await readlink(`/proc/${pid}/ns/net`);
    return link === `net:[${want}]`;
  } catch {
    return false;
  }
}

async function waitInNs(pid: number, ns: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pidInNs(pid, ns))) {
    if (Date.now() > deadline) throw new LabError(`pid ${pid} never entered ${ns}`);
    await sleep(10);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Is `pid` the leader of its own process group (we started it detached)? */
async function leadsGroup(pid: number): Promise<boolean> {
  try {
    const statLine = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = statLine.slice(statLine.lastIndexOf(")") + 2).split(" ");
    return Number(fields[2]) === pid;
  } catch {
    return false;
  }
}

/**
 * SIGTERM, wait up to `graceMs`, then SIGKILL — for each PID that still runs in `ns`. A PID that
 * leads its own group gets the signal as a group, so `sh -c` children go too.
 */
export async function stopPids(pids: readonly number[], ns: string, graceMs = 1_500): Promise<void> {
  const ours: { pid: number; group: boolean }[] = [];
  for (const pid of pids) if (pid > 1 && (await pidInNs(pid, ns))) ours.push({ pid, group: await leadsGroup(pid) });
  for (const p of ours) signal(p.group ? -p.pid : p.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  const running = (pid: number): boolean => isAlive(pid) && !isZombie(pid);
  while (ours.some((p) => running(p.pid)) && Date.now() < deadline) await sleep(20);
  for (const p of ours) {
    if (running(p.pid) && (await pidInNs(p.pid, ns))) signal(p.group ? -p.pid : p.pid, "SIGKILL");
  }
  for (let i = 0; i < 50 && ours.some((p) => running(p.pid)); i++) await sleep(20);
}

function isZombie(pid: number): boolean {
  try {
    // a zombie is dead for our purposes: its parent reaps it
    return /State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

/** Every process in netns `ns` (all of them ours: the lab created the namespace). */
export async function pidsInNs(ns: string): Promise<number[]> {
  const { ok, out } = await tryRun("ip", ["netns", "pids", ns]);
  if (!ok) return [];
  return out
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 1 && n !== process.pid);
}

export async function readPidfile(file: string): Promise<number | undefined> {
  const text = await readFile(file, "utf8").catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}
