import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** How the agent's parts log: main.ts writes JSON lines; tests and the lab pass their own. */
export type Log = (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;

/** Runs one command; the lab and tests swap in one that runs inside a host's namespace. */
export type Runner = (cmd: string, args: readonly string[]) => Promise<string>;

const exec = promisify(execFile);
export const localRunner: Runner = async (cmd, args) => (await exec(cmd, [...args], { timeout: 20_000 })).stdout;

/** A runner whose `ovs-appctl` talks to the vswitchd control socket at `unixctl` (where it is not in OVS's default place). */
export function withUnixctl(run: Runner, unixctl: string | undefined): Runner {
  return unixctl ? (cmd, args) => run(cmd, cmd === "ovs-appctl" ? ["-t", unixctl, ...args] : args) : run;
}

/**
 * Runs one command and hands back both of its outputs, with its own time limit and output cap
 * (a `docker pull` takes longer than the default 20 s; `docker logs` writes the container's stderr
 * to its own). Rejects, like `localRunner`, when the command fails; the error carries its stderr.
 */
export type StreamsRunner = (
  cmd: string,
  args: readonly string[],
  o: { timeoutMs: number; maxBytes: number },
) => Promise<{ stdout: string; stderr: string }>;

export const localStreamsRunner: StreamsRunner = async (cmd, args, o) => {
  const r = await exec(cmd, [...args], { timeout: o.timeoutMs, maxBuffer: o.maxBytes });
  return { stdout: r.stdout, stderr: r.stderr };
};
