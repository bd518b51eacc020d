import { createHash, randomBytes } from "node:crypto";
import { LabError } from "./errors.ts";

/**
 * The lab's address plan and naming, pure: every name and address a lab uses is derived here
 * from (lab name, datacenter index, host index), so a test, the CLI and the teardown sweep all
 * agree without asking the kernel.
 *
 *   fabric (underlay) of datacenter d:  100.64.d.0/24, router leg 100.64.d.1, host i of d at 100.64.d.(10+i)
 *   instance fabric addresses of host k: 100.65.k.0/24, routed by the router via the host
 *   management (root ns <-> hosts):     one 198.18.0.0/15 /24 per lab, TSC side .1, host k at .(10+k)
 *
 * Everything the lab creates is named `<lab>-…` (namespaces, root-namespace links), which is what
 * `down` sweeps; names inside the lab's own namespaces are fixed (fab0, veb0, eth0, …).
 */
export const LIMITS = { datacenters: 16, hostsPerDc: 32, hosts: 200 } as const;
export const LAB_NAME = /^[a-z][a-z0-9]{1,7}$/;
export const INSTANCE_NAME = /^[a-z][a-z0-9-]{0,14}$/;
export const DEFAULT_BRIDGE = "veb0";
export const FABRIC_IF = "fab0";
export const MGMT_IF = "mgmt0";
export const FABRIC_OFPORT = 1;
/** Cookie of the host plumbing flows the lab installs (LOCAL <-> fabric NIC); "NVILAB" in ASCII. */
export const LAB_COOKIE = "0x4e56494c4142";

export function labNameProblem(name: string): string | null {
  return LAB_NAME.test(name)
    ? null
    : `lab name "${name}" must match ${LAB_NAME.source} (2-8 chars: it prefixes interface names of at most 15)`;
}

export function randomLabName(): string {
  return `nl${randomBytes(2).toString("hex")}`;
}

export const prefixOf = (lab: string): string => `${lab}-`;

export interface HostPlan {
  id: string;
  index: number;
  dc: number;
  indexInDc: number;
  ns: string;
  fabricIp: string;
  fabricPrefixLen: 24;
  fabricMac: string;
  nicMac: string;
  gatewayIp: string;
  gatewayMac: string;
  /** the routed block of fabric addresses the TSC leases to this host's instances */
  instanceBlock: string;
  mgmtIp: string;
  mgmtRootIf: string;
  datapathId: string;
  dcPort: string;
}

export interface DatacenterPlan {
  index: number;
  id: string;
  ns: string;
  subnet: string;
  routerIp: string;
  routerMac: string;
  routerIf: string;
}

export interface LabPlan {
  name: string;
  routerNs: string;
  mgmt: { bridge: string; subnet: string; tscIp: string };
  datacenters: DatacenterPlan[];
  hosts: HostPlan[];
}

const hex2 = (n: number): string => n.toString(16).padStart(2, "0");

/** 16 hex digits: "00004e5649" ("NVI") then the host index; fixed so a test can address a host's VEB. */
export function datapathIdFor(hostIndex: number): string {
  return `00004e5649${hostIndex.toString(16).padStart(6, "0")}`;
}

/** Host k's routed block of instance fabric addresses: 100.65.k.0/24 (the router has a route to it via the host). */
export function instanceBlockFor(hostIndex: number): string {
  return `100.65.${hostIndex}.0/24`;
}

export function mgmtSubnetFor(slot: number): { subnet: string; base: string } {
  if (!Number.isInteger(slot) || slot < 0 || slot > 511) throw new LabError(`management slot ${slot} outside 0..511`);
  const base = `198.${18 + Math.floor(slot / 256)}.${slot % 256}`;
  return { subnet: `${base}.0/24`, base };
}

/** A management /24 for this lab: a slot derived from the name, skipping ones already routed in the root namespace. */
export function pickMgmtSlot(lab: string, usedSubnets: ReadonlySet<string>): number {
  const start = createHash("sha256").update(lab).digest().readUInt16BE(0) % 512;
  for (let i = 0; i < 512; i++) {
    const slot = (start + i) % 512;
    if (!usedSubnets.has(mgmtSubnetFor(slot).subnet)) return slot;
  }
  throw new LabError("no free management /24 left in 198.18.0.0/15");
}

export function planLab(lab: string, datacenters: number, hostsPerDc: number, mgmtSlot: number): LabPlan {
  const problem = labNameProblem(lab);
  if (problem) throw new LabError(problem);
  if (!Number.isInteger(datacenters) || datacenters < 1 || datacenters > LIMITS.datacenters) {
    throw new LabError(`--datacenters must be 1..${LIMITS.datacenters}, got ${datacenters}`);
  }
  if (!Number.isInteger(hostsPerDc) || hostsPerDc < 1 || hostsPerDc > LIMITS.hostsPerDc) {
    throw new LabError(`--hosts-per-dc must be 1..${LIMITS.hostsPerDc}, got ${hostsPerDc}`);
  }
  if (datacenters * hostsPerDc > LIMITS.hosts) throw new LabError(`at most ${LIMITS.hosts} hosts per lab`);
  const { base } = mgmtSubnetFor(mgmtSlot);
  const dcs: DatacenterPlan[] = [];
  const hosts: HostPlan[] = [];
  for (let d = 1; d <= datacenters; d++) {
    dcs.push({
      index: d,
      id: `dc${d}`,
      ns: `${lab}-dc${d}`,
      subnet: `100.64.${d}.0/24`,
      routerIp: `100.64.${d}.1`,
      routerMac: `02:00:64:40:${hex2(d)}:01`,
      routerIf: `dc${d}`,
    });
    for (let i = 1; i <= hostsPerDc; i++) {
      const index = (d - 1) * hostsPerDc + i;
      const octet = 10 + i;
      hosts.push({
        id: `h${index}`,
        index,
        dc: d,
        indexInDc: i,
        ns: `${lab}-h${index}`,
        fabricIp: `100.64.${d}.${octet}`,
        fabricPrefixLen: 24,
        fabricMac: `02:00:64:40:${hex2(d)}:${hex2(octet)}`,
        nicMac: `06:00:64:40:${hex2(d)}:${hex2(octet)}`,
        gatewayIp: `100.64.${d}.1`,
        gatewayMac: `02:00:64:40:${hex2(d)}:01`,
        instanceBlock: instanceBlockFor(index),
        mgmtIp: `${base}.${10 + index}`,
        mgmtRootIf: `${lab}-m${index}`,
        datapathId: datapathIdFor(index),
        dcPort: `h${index}`,
      });
    }
  }
  return {
    name: lab,
    routerNs: `${lab}-rt`,
    mgmt: { bridge: `${lab}-mg`, subnet: `${base}.0/24`, tscIp: `${base}.1` },
    datacenters: dcs,
    hosts,
  };
}

export function instanceNs(lab: string, instance: string): string {
  return `${lab}-i-${instance}`;
}

export function instanceNameProblem(name: string): string | null {
  return INSTANCE_NAME.test(name)
    ? null
    : `instance name "${name}" must match ${INSTANCE_NAME.source} (it names the OVS port, at most 15 chars)`;
}

const ipToInt = (ip: string): number => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

export interface InstanceAddress {
  ip: string;
  prefixLen: number;
  gateway: string;
  cidr: string;
}

/** Parses `10.x.y.z/nn`; the gateway is the subnet's first address (x.x.x.1 for a /24). */
export function parseInstanceAddress(cidr: string): InstanceAddress {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefixLen = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || prefixLen < 8 || prefixLen > 30) {
    throw new LabError(`instance address "${cidr}" must be an IPv4 CIDR like 10.1.0.5/24 (prefix /8../30)`);
  }
  const ip = octets.join(".");
  const size = 2 ** (32 - prefixLen);
  const network = Math.floor(ipToInt(ip) / size) * size;
  const host = ipToInt(ip) - network;
  if (host === 0 || host === size - 1)
    throw new LabError(`instance address ${cidr} is the subnet's network or broadcast address`);
  if (host === 1)
    throw new LabError(`instance address ${cidr} is the subnet's gateway (${intToIp(network + 1)}); pick another`);
  return { ip, prefixLen, gateway: intToIp(network + 1), cidr: `${ip}/${prefixLen}` };
}

export const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A unicast, locally administered MAC derived from the lab and instance names (stable across runs). */
export function defaultInstanceMac(lab: string, instance: string): string {
  const h = createHash("sha256").update(`${lab}/${instance}`).digest();
  return ["0a", ...[0, 1, 2, 3, 4].map((i) => hex2(h[i] ?? 0))].join(":");
}

export function macProblem(mac: string): string | null {
  if (!MAC.test(mac)) return `MAC "${mac}" must look like 0a:12:34:56:78:9a (lower case)`;
  const first = parseInt(mac.slice(0, 2), 16);
  return first % 2 === 1 ? `MAC ${mac} is multicast; instances need a unicast MAC` : null;
}

/** `tcp:mgmt:6653` means "the management address the TSC listens on"; other targets pass through. */
export function resolveController(target: string | undefined, tscIp: string): string | undefined {
  if (target === undefined) return undefined;
  const m = /^(tcp|ssl):([^:]+):(\d{1,5})$/.exec(target);
  if (!m || Number(m[3]) > 65535)
    throw new LabError(`controller "${target}" must look like tcp:ADDR:PORT (ADDR may be "mgmt")`);
  return `${m[1]}:${m[2] === "mgmt" ? tscIp : m[2]}:${m[3]}`;
}
