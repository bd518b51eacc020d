import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { childEnv } from "./env.ts";
import { LabError } from "./errors.ts";

const pexec = promisify(execFile);

export { LabError };

export interface RunOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  input?: string;
}

/** Runs a command (no shell) and returns stdout; a failure says what ran and what it printed. */
export async function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  try {
    const { stdout } = await pexec(cmd, [...args], {
      env: childEnv(options.env),
      timeout: options.timeoutMs ?? 30_000,
      maxBuffer: 16 * 2 ** 20,
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    const detail = (err.stderr?.trim() || err.stdout?.trim() || err.message).split("\n").slice(0, 8).join("\n");
    throw new LabError(`${cmd} ${args.join(" ")} failed: ${detail}`);
  }
}

/** Like run, but a failure is an answer, not an error. */
export async function tryRun(
  cmd: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<{ ok: boolean; out: string }> {
  try {
    return { ok: true, out: await run(cmd, args, options) };
  } catch (e) {
    return { ok: false, out: (e as Error).message };
  }
}

export const inNs = (ns: string, cmd: string, ...args: string[]): Promise<string> =>
  run("ip", ["netns", "exec", ns, cmd, ...args]);
export const ipIn = (ns: string, ...args: string[]): Promise<string> => run("ip", ["-n", ns, ...args]);

/** Each binary the lab needs and the Debian package that ships it. */
export const PREREQUISITES: readonly { bin: string; pkg: string }[] = [
  { bin: "ip", pkg: "iproute2" },
  { bin: "ovsdb-tool", pkg: "openvswitch-switch" },
  { bin: "ovsdb-server", pkg: "openvswitch-switch" },
  { bin: "ovs-vswitchd", pkg: "openvswitch-switch" },
  { bin: "ovs-vsctl", pkg: "openvswitch-switch" },
  { bin: "ovs-ofctl", pkg: "openvswitch-switch" },
  { bin: "ping", pkg: "iputils-ping" },
  { bin: "sysctl", pkg: "procps" },
  { bin: "nft", pkg: "nftables" },
];
export const OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

const PATH_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

export function missingPrerequisites(exists: (file: string) => boolean = existsSync): { bin: string; pkg: string }[] {
  const missing = PREREQUISITES.filter(({ bin }) => !PATH_DIRS.some((d) => exists(`${d}/${bin}`)));
  if (!exists(OVS_SCHEMA)) missing.push({ bin: OVS_SCHEMA, pkg: "openvswitch-switch" });
  return missing;
}

export function prerequisitesProblem(
  missing: readonly { bin: string; pkg: string }[],
  uid: number | undefined,
): string | null {
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))].join(" ");
    return `the lab needs ${missing.map((m) => m.bin).join(", ")}: run apt-get install -y ${pkgs}`;
  }
  return uid === 0 ? null : "the lab needs root (network namespaces, Open vSwitch daemons)";
}

/** What the internet topology needs on top (gateways: userspace WireGuard; instances: checksum offload off). */
export const INTERNET_PREREQUISITES: readonly { bin: string; pkg: string }[] = [
  { bin: "wireguard-go", pkg: "wireguard-go" },
  { bin: "wg", pkg: "wireguard-tools" },
  { bin: "ethtool", pkg: "ethtool" },
];

/** Throws a readable error naming the apt packages to install; never skips. */
export function requirePrerequisites(o: { internet?: boolean } = {}): void {
  const extra = o.internet
    ? INTERNET_PREREQUISITES.filter(({ bin }) => !PATH_DIRS.some((d) => existsSync(`${d}/${bin}`)))
    : [];
  const problem = prerequisitesProblem([...missingPrerequisites(), ...extra], process.getuid?.());
  if (problem) throw new LabError(problem);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
