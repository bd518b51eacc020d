import { execFile } from "node:child_process";
import { cpus, hostname, release, totalmem } from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);

async function firstLine(cmd: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await run(cmd, args, { timeout: 3_000 });
    return stdout.split("\n")[0]?.trim() || null;
  } catch {
    return null;
  }
}

export interface HostFacts {
  hostname: string;
  kernel: string;
  cpus: number;
  memoryMiB: number;
  ovsVersion: string | null;
  runtimes: { docker: boolean; qemu: boolean; netns: boolean };
}

/** What the agent will report on enrollment; read from the machine, never assumed. */
export async function readHostFacts(): Promise<HostFacts> {
  const [ovs, docker, qemu, ip] = await Promise.all([
    firstLine("ovs-vsctl", ["--version"]),
    firstLine("docker", ["version", "--format", "{{.Server.Version}}"]),
    firstLine("qemu-system-x86_64", ["--version"]),
    firstLine("ip", ["-V"]),
  ]);
  return {
    hostname: hostname(),
    kernel: release(),
    cpus: cpus().length,
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    ovsVersion: ovs?.match(/(\d+\.\d+\.\d+)/)?.[1] ?? null,
    runtimes: { docker: docker !== null, qemu: qemu !== null, netns: ip !== null },
  };
}
