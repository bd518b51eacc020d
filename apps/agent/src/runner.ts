import { execFile } from "node:child_process";
import { promisify } from "node:util";

/** Runs one command; the lab and tests swap in one that runs inside a host's namespace. */
export type Runner = (cmd: string, args: readonly string[]) => Promise<string>;

const exec = promisify(execFile);
export const localRunner: Runner = async (cmd, args) => (await exec(cmd, [...args], { timeout: 20_000 })).stdout;

/** A runner whose `ovs-appctl` talks to the vswitchd control socket at `unixctl` (where it is not in OVS's default place). */
export function withUnixctl(run: Runner, unixctl: string | undefined): Runner {
  return unixctl ? (cmd, args) => run(cmd, cmd === "ovs-appctl" ? ["-t", unixctl, ...args] : args) : run;
}
