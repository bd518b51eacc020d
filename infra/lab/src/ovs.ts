import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { inNs, ipIn, LabError, OVS_SCHEMA, run, sleep } from "./exec.ts";
import { FABRIC_IF, FABRIC_OFPORT, LAB_COOKIE } from "./plan.ts";
import { pidInNs, readPidfile } from "./processes.ts";
import type { HostState } from "./state.ts";

/**
 * One Open vSwitch per lab host: ovsdb-server + ovs-vswitchd started inside the host's netns with
 * an absolute OVS_RUNDIR of their own (the userspace datapath's `ovs-netdev` tap is per namespace,
 * so two vswitchd cannot share one). Clients (ovs-vsctl, ovs-ofctl) reach them through the unix
 * sockets in that directory from any namespace.
 */
export const ovsEnv = (dir: string): Record<string, string> => ({ OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir });

/**
 * Runs a command inside a lab host's namespace with its own Open vSwitch as the default (what the
 * host's agent sees). `networkOnly` enters just the network namespace (nsenter), as the lab's agents
 * live: namespaces a command adds there (`ip netns add`) are seen by the next one.
 */
export const hostRunner =
  (host: { ns: string; ovsDir: string }, o: { networkOnly?: boolean } = {}) =>
  (cmd: string, args: readonly string[]): Promise<string> => {
    const env = Object.entries(ovsEnv(host.ovsDir)).map(([k, v]) => `${k}=${v}`);
    const enter = o.networkOnly ? ["nsenter", `--net=/run/netns/${host.ns}`, "--"] : ["ip", "netns", "exec", host.ns];
    return run(enter[0]!, [...enter.slice(1), "env", ...env, cmd, ...args]);
  };

export const vsctl = (dir: string, ...args: string[]): Promise<string> =>
  run("ovs-vsctl", ["--timeout=15", `--db=unix:${dir}/db.sock`, ...args], { env: ovsEnv(dir) });

export const ofctl = (dir: string, ...args: string[]): Promise<string> =>
  run("ovs-ofctl", ["-O", "OpenFlow13", ...args], { env: ovsEnv(dir) });

const RMEM = "/proc/sys/net/core/rmem_default";
const RMEM_RAISED = 8 * 2 ** 20;
let rmemUsers = 0;
let rmemSaved: number | null = null;

/**
 * vswitchd's AF_PACKET sockets take net.core.rmem_default when a port is added; the default
 * (208 KiB) drops packets under TCP load and the value is read-only inside a netns. So raise it
 * globally around port creation, then put back what was there (unless someone changed it since).
 */
export async function withRaisedRmem<T>(fn: () => Promise<T>): Promise<T> {
  if (rmemUsers++ === 0) {
    const current = Number((await readFile(RMEM, "utf8")).trim());
    if (current < RMEM_RAISED) {
      rmemSaved = current;
      await writeFile(RMEM, String(RMEM_RAISED));
    }
  }
  try {
    return await fn();
  } finally {
    if (--rmemUsers === 0 && rmemSaved !== null) {
      const now = Number((await readFile(RMEM, "utf8")).trim());
      if (now === RMEM_RAISED) await writeFile(RMEM, String(rmemSaved));
      rmemSaved = null;
    }
  }
}

export interface BridgeSpec {
  lab: string;
  hostId: string;
  ns: string;
  dir: string;
  bridge: string;
  datapathId: string;
  fabricMac: string;
  controller?: string | undefined;
}

const DAEMON_FLAGS = ["--detach", "--no-chdir", "-vconsole:emer", "-vsyslog:off", "-vfile:info"];

/** Starts ovsdb-server and ovs-vswitchd in the host's netns; returns their PIDs. */
export async function startOvs(spec: BridgeSpec): Promise<{ ovsdb: number; vswitchd: number }> {
  const { ns, dir } = spec;
  await mkdir(dir, { recursive: true });
  await run("ovsdb-tool", ["create", `${dir}/conf.db`, OVS_SCHEMA]);
  await inNs(
    ns,
    "env",
    `OVS_RUNDIR=${dir}`,
    "ovsdb-server",
    `${dir}/conf.db`,
    `--remote=punix:${dir}/db.sock`,
    `--pidfile=${dir}/ovsdb-server.pid`,
    `--unixctl=${dir}/ovsdb-server.ctl`,
    `--log-file=${dir}/ovsdb-server.log`,
    ...DAEMON_FLAGS,
  );
  await vsctl(dir, "--no-wait", "init");
  // userspace TSO must be on before vswitchd starts: veth senders leave checksums to offload, and
  // without it TCP/UDP arrive with bad checksums (ping still works, which misleads)
  await vsctl(
    dir,
    "--no-wait",
    "set",
    "Open_vSwitch",
    ".",
    "other_config:userspace-tso-enable=true",
    `external_ids:system-id=${spec.lab}-${spec.hostId}`,
    `external_ids:hostname=${spec.lab}-${spec.hostId}`,
  );
  const vswitchd = await startVswitchd(ns, dir);
  const ovsdb = await readPidfile(`${dir}/ovsdb-server.pid`);
  if (ovsdb === undefined) throw new LabError(`ovsdb-server in ${ns} wrote no pidfile (see ${dir}/*.log)`);
  return { ovsdb, vswitchd };
}

/** Starts ovs-vswitchd in the host's netns over its running ovsdb-server; returns its PID. */
async function startVswitchd(ns: string, dir: string): Promise<number> {
  await inNs(
    ns,
    "env",
    `OVS_RUNDIR=${dir}`,
    "ovs-vswitchd",
    `unix:${dir}/db.sock`,
    `--pidfile=${dir}/ovs-vswitchd.pid`,
    `--unixctl=${dir}/ovs-vswitchd.ctl`,
    `--log-file=${dir}/ovs-vswitchd.log`,
    ...DAEMON_FLAGS,
  );
  const pid = await readPidfile(`${dir}/ovs-vswitchd.pid`);
  if (pid === undefined) throw new LabError(`ovs-vswitchd in ${ns} wrote no pidfile (see ${dir}/ovs-vswitchd.log)`);
  return pid;
}

/**
 * The host's vswitchd killed (-9) and started again over its running ovsdb-server, as a crash or an
 * upgrade does: it comes back with the bridge and ports of its database and an empty flow table.
 * The bridge's own port is a tap the old process took with it, so the host's fabric address and
 * default route are put back. Answers the new PID (`restartVswitchd` in agents.ts records it).
 */
export async function respawnVswitchd(host: HostState): Promise<number> {
  const old = host.pids.vswitchd;
  if (old !== undefined && (await pidInNs(old, host.ns))) {
    process.kill(old, "SIGKILL");
    for (let i = 0; i < 100 && (await pidInNs(old, host.ns)); i++) await sleep(20);
    if (await pidInNs(old, host.ns)) throw new LabError(`vswitchd ${old} of ${host.id} survived SIGKILL for 2 s`);
  }
  const pid = await startVswitchd(host.ns, host.ovsDir);
  await ipIn(host.ns, "addr", "replace", `${host.fabricIp}/${host.fabricPrefixLen}`, "dev", host.bridge);
  await ipIn(host.ns, "link", "set", host.bridge, "up");
  await ipIn(host.ns, "route", "replace", "default", "via", host.gatewayIp, "dev", host.bridge);
  return pid;
}

/** The host plumbing: LOCAL (host stack) <-> fabric NIC. Instance ports get nothing: default deny. */
export function plumbingFlows(bridgeMac: string): string[] {
  const c = `cookie=${LAB_COOKIE}`;
  return [
    `${c},table=0,priority=1,in_port=LOCAL,actions=output:${FABRIC_OFPORT}`,
    `${c},table=0,priority=1,in_port=${FABRIC_OFPORT},dl_dst=${bridgeMac},actions=LOCAL`,
    `${c},table=0,priority=1,in_port=${FABRIC_OFPORT},dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=LOCAL`,
  ];
}

/**
 * The VEB: netdev datapath, fail_mode=secure, fixed datapath id, the fabric NIC as OpenFlow port 1
 * and the host's fabric MAC on the bridge's LOCAL port (the host stack's interface). The
 * controller, if any, is set in the same transaction that creates the bridge: OVS flushes the
 * flow table when a bridge gains or loses its controller, so the lab's flows are added after.
 */
export async function createBridge(spec: BridgeSpec): Promise<void> {
  const { dir, bridge } = spec;
  const controllerArgs = spec.controller
    ? [
        "--",
        "--id=@c",
        "create",
        "Controller",
        `target="${spec.controller}"`,
        "max_backoff=1000",
        "inactivity_probe=5000",
        "--",
        "set",
        "bridge",
        bridge,
        "controller=@c",
      ]
    : [];
  await vsctl(
    dir,
    "add-br",
    bridge,
    "--",
    "set",
    "bridge",
    bridge,
    "datapath_type=netdev",
    "protocols=OpenFlow13",
    "fail_mode=secure",
    `other-config:datapath-id=${spec.datapathId}`,
    `other-config:hwaddr=${spec.fabricMac}`,
    "other-config:disable-in-band=true",
    `external_ids:nvi-lab=${spec.lab}`,
    `external_ids:nvi-host=${spec.hostId}`,
    "--",
    "add-port",
    bridge,
    FABRIC_IF,
    "--",
    "set",
    "interface",
    FABRIC_IF,
    `ofport_request=${FABRIC_OFPORT}`,
    "external_ids:nvi-role=fabric",
    ...controllerArgs,
  );
  const flowsFile = path.join(dir, "lab-flows.txt");
  await writeFile(flowsFile, `${plumbingFlows(spec.fabricMac).join("\n")}\n`);
  await ofctl(dir, "add-flows", bridge, flowsFile);
}

/** Waits for a port's ofport to be assigned (vswitchd does it asynchronously). */
export async function ofportOf(dir: string, iface: string, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = Number((await vsctl(dir, "get", "interface", iface, "ofport")).trim());
    if (Number.isInteger(n) && n > 0) return n;
    if (Date.now() > deadline) throw new LabError(`port ${iface} got no OpenFlow port number (ofport ${n})`);
    await sleep(20);
  }
}
