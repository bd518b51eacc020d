import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { cpus, hostname, release, totalmem } from "node:os";
import { promisify } from "node:util";
import { HostFacts, MAX_REPORTED_IMAGES, NVI_VERSION, type GatewayLink, type HostGuards } from "@nvi/contracts";
import type { FabricFacts } from "./fabric-facts.ts";
import { listDockerImages } from "./runtimes/docker.ts";
import { listGuests, listGuestsWithAgent } from "./runtimes/qemu.ts";
import { localRunner } from "./runner.ts";

const run = promisify(execFile);

async function firstLine(cmd: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await run(cmd, args, { timeout: 3_000 });
    return stdout.split("\n")[0]?.trim() || null;
  } catch {
    return null;
  }
}

async function osName(): Promise<string | null> {
  try {
    const text = await readFile("/etc/os-release", "utf8");
    return text.match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? null;
  } catch {
    return null;
  }
}

export interface FactOverrides {
  hostname?: string | undefined;
  fabricAddress?: string | undefined;
  datacenter?: string | undefined;
  instanceBlock?: string | undefined;
  /** read from the VEB (readFabricFacts) when the agent owns it */
  fabric?: FabricFacts | undefined;
  /** the public half of the host's WireGuard key (wireguard-key.ts; the private key stays on the host) */
  wireguardPublicKey?: string | undefined;
  /** a gateway's links to other gateways (gateway.ts), as last read */
  gatewayLinks?: GatewayLink[] | null | undefined;
  /** the instance-port and fabric guards as just checked (guard-facts.ts), when the agent owns the VEB */
  guards?: HostGuards | undefined;
  /** the qemu runtime's guests; qemu is reported only when QEMU is installed and a guest is there */
  imageDir?: string | undefined;
}

/** What the agent reports on enrollment and with each heartbeat; read from the machine, never assumed. */
export async function readHostFacts(overrides: FactOverrides = {}): Promise<HostFacts> {
  const [ovs, docker, qemu, ip, os, guests, withAgent] = await Promise.all([
    firstLine("ovs-vsctl", ["--version"]),
    firstLine("docker", ["version", "--format", "{{.Server.Version}}"]),
    firstLine("qemu-system-x86_64", ["--version"]),
    firstLine("ip", ["-V"]),
    osName(),
    overrides.imageDir ? listGuests(overrides.imageDir) : Promise.resolve([]),
    overrides.imageDir ? listGuestsWithAgent(overrides.imageDir) : Promise.resolve([]),
  ]);
  const images = docker !== null ? await listDockerImages(localRunner) : [];
  return HostFacts.parse({
    hostname: overrides.hostname ?? hostname(),
    os,
    kernel: release(),
    cpus: cpus().length,
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    ovsVersion: ovs?.match(/(\d+\.\d+\.\d+)/)?.[1] ?? null,
    fabricAddress: overrides.fabricAddress ?? overrides.fabric?.fabricAddress ?? null,
    fabricPrefixLen: overrides.fabric?.fabricPrefixLen ?? null,
    fabricMac: overrides.fabric?.fabricMac ?? null,
    nextHopMac: overrides.fabric?.nextHopMac ?? null,
    datapathId: overrides.fabric?.datapathId ?? null,
    instanceBlock: overrides.instanceBlock ?? null,
    datacenter: overrides.datacenter ?? null,
    runtimes: { docker: docker !== null, qemu: qemu !== null && guests.length > 0, netns: ip !== null },
    images: {
      docker: images,
      qemu: guests.sort().slice(0, MAX_REPORTED_IMAGES),
      qemuGuestAgent: withAgent.sort().slice(0, MAX_REPORTED_IMAGES),
    },
    agentVersion: NVI_VERSION,
    wireguardPublicKey: overrides.wireguardPublicKey ?? null,
    gatewayLinks: overrides.gatewayLinks ?? null,
    guards: overrides.guards ?? null,
  });
}
