import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { inNs, ipIn, LabError, requirePrerequisites, run } from "./exec.ts";
import { createBridge, startOvs, withRaisedRmem } from "./ovs.ts";
import {
  DEFAULT_BRIDGE,
  FABRIC_IF,
  type HostPlan,
  type LabPlan,
  labNameProblem,
  MGMT_IF,
  pickMgmtSlot,
  planLab,
  randomLabName,
  resolveController,
} from "./plan.ts";
import { spawnInNs } from "./processes.ts";
import { buildInternet, type InternetPlan, planInternet, wireWan } from "./internet.ts";
import { type HostState, type LabState, readState, runDirOf, statePathOf, withLabLock, writeState } from "./state.ts";
import { findLeftovers, isEmpty, sweep } from "./teardown.ts";

export interface UpOptions {
  name?: string | undefined;
  datacenters: number;
  hostsPerDc: number;
  /** OpenFlow target for every VEB, e.g. tcp:mgmt:6653 ("mgmt" = the lab's TSC address). */
  controller?: string | undefined;
  /** A shell command started in every host's netns (see agentEnv for its environment). */
  agentCommand?: string | undefined;
  bridge?: string | undefined;
  log?: (line: string) => void;
  /**
   * "internet" (issue 15): datacenters joined only through an internet namespace, an edge router
   * each, no route for instance blocks between them, one gateway host per datacenter (src/internet.ts).
   */
  topology?: "routed" | "internet" | undefined;
  /** The internet topology: how many gateway hosts each datacenter has (its first hosts; default 1; dc3, behind the port-rewriting NAT, keeps one). */
  gatewaysPerDc?: number | undefined;
  /** Aborting stops the bring-up at the next step and tears down what it made (the CLI wires SIGINT here). */
  signal?: AbortSignal | undefined;
}

function checkpoint(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LabError("interrupted");
}

/** Runs `fn` over `items`, at most `width` at a time (a 2-core machine drowns in 64 parallel vswitchd starts). */
async function pool<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

const QUIET = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"];

async function addNamespace(ns: string, sysctls: string[] = []): Promise<void> {
  await run("ip", ["netns", "add", ns]);
  await ipIn(ns, "link", "set", "lo", "up");
  // no IPv6 router/neighbour solicitations: the only packets on the lab's wires are the tests' own
  await inNs(ns, "sysctl", "-qw", ...QUIET, ...sysctls);
}

async function usedRootSubnets(): Promise<Set<string>> {
  const out = await run("ip", ["-4", "-o", "route", "show", "table", "all"]);
  return new Set(
    out
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0] ?? "")
      .filter((s) => s.includes("/")),
  );
}

/** Root-namespace link without IPv6 (set before it comes up, so it never solicits). */
async function quietRootLink(name: string): Promise<void> {
  await writeFile(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, "1").catch(() => undefined);
}

/** The environment an agent gets: what the agent reads (NVI_BRIDGE, NVI_DATACENTER, NVI_INSTANCE_BLOCK), OVS paths, and the lab's facts. */
export function agentEnv(
  state: Pick<LabState, "name" | "controller" | "mgmt">,
  host: HostState,
): Record<string, string> {
  return {
    NVI_BRIDGE: host.bridge,
    NVI_DATACENTER: `dc${host.dc}`,
    NVI_INSTANCE_BLOCK: host.instanceBlock,
    // instance namespaces an agent makes carry the lab's prefix, so `lab down` sweeps them
    NVI_NETNS_PREFIX: `${state.name}-n-`,
    OVS_RUNDIR: host.ovsDir,
    // the lab names vswitchd's control socket itself (no pid in the name), so ovs-appctl needs telling
    NVI_OVS_UNIXCTL: `${host.ovsDir}/ovs-vswitchd.ctl`,
    OVS_DBDIR: host.ovsDir,
    OVS_LOGDIR: host.ovsDir,
    LAB_NAME: state.name,
    LAB_HOST_ID: host.id,
    LAB_HOST_NS: host.ns,
    LAB_DATAPATH_ID: host.datapathId,
    LAB_FABRIC_IP: host.fabricIp,
    LAB_FABRIC_MAC: host.fabricMac,
    LAB_GATEWAY_IP: host.gatewayIp,
    LAB_GATEWAY_MAC: host.gatewayMac,
    LAB_INSTANCE_BLOCK: host.instanceBlock,
    LAB_MGMT_IP: host.mgmtIp,
    LAB_TSC_IP: state.mgmt.tscIp,
    LAB_CONTROLLER: state.controller ?? "",
    // a gateway's WireGuard interface: its UAPI socket directory is shared by every namespace
    ...(host.gateway ? { NVI_WG_INTERFACE: host.gateway.wgIf } : {}),
  };
}

async function buildSwitchesAndRouter(plan: LabPlan, o: { router: boolean }): Promise<void> {
  if (o.router) await addNamespace(plan.routerNs, ["net.ipv4.ip_forward=1"]);
  await Promise.all(plan.datacenters.filter(() => o.router).map((dc) => addNamespace(dc.ns)));
  await Promise.all(
    plan.datacenters
      .filter(() => o.router)
      .map(async (dc) => {
        // the datacenter's underlay switch: a Linux bridge (no STP, so ports forward at once)
        await ipIn(dc.ns, "link", "add", "br0", "type", "bridge", "stp_state", "0");
        await ipIn(dc.ns, "link", "set", "br0", "up");
        await ipIn(
          plan.routerNs,
          "link",
          "add",
          dc.routerIf,
          "address",
          dc.routerMac,
          "type",
          "veth",
          "peer",
          "name",
          "rt",
          "netns",
          dc.ns,
        );
        await ipIn(dc.ns, "link", "set", "rt", "master", "br0", "up");
        await ipIn(plan.routerNs, "addr", "add", `${dc.routerIp}/24`, "dev", dc.routerIf);
        await ipIn(plan.routerNs, "link", "set", dc.routerIf, "up");
      }),
  );
  // the management bridge in the root namespace: the TSC listens on its address
  await run("ip", ["link", "add", plan.mgmt.bridge, "type", "bridge", "stp_state", "0"]);
  await quietRootLink(plan.mgmt.bridge);
  await run("ip", ["addr", "add", `${plan.mgmt.tscIp}/24`, "dev", plan.mgmt.bridge]);
  await run("ip", ["link", "set", plan.mgmt.bridge, "up"]);
}

async function buildHost(
  plan: LabPlan,
  h: HostPlan,
  state: LabState,
  bridge: string,
  signal?: AbortSignal,
  net?: InternetPlan,
): Promise<HostState> {
  const dcNs = plan.datacenters[h.dc - 1]?.ns ?? "";
  checkpoint(signal);
  await addNamespace(h.ns);
  // fabric NIC: a veth into the datacenter switch. It belongs to the VEB (OpenFlow port 1); the
  // host stack lives on the bridge's LOCAL port. The NIC keeps a MAC of its own and no ARP, so the
  // kernel never answers or accepts (weak host model) what arrives for the fabric MAC/IP itself.
  await ipIn(dcNs, "link", "add", h.dcPort, "type", "veth", "peer", "name", FABRIC_IF, "netns", h.ns);
  await ipIn(dcNs, "link", "set", h.dcPort, "master", "br0", "up");
  await ipIn(h.ns, "link", "set", FABRIC_IF, "address", h.nicMac, "arp", "off", "mtu", "1500", "up");
  // management: a veth to the root namespace's management bridge
  await run("ip", ["link", "add", h.mgmtRootIf, "type", "veth", "peer", "name", MGMT_IF, "netns", h.ns]);
  await quietRootLink(h.mgmtRootIf);
  await run("ip", ["link", "set", h.mgmtRootIf, "master", plan.mgmt.bridge, "up"]);
  await ipIn(h.ns, "addr", "add", `${h.mgmtIp}/24`, "dev", MGMT_IF);
  await ipIn(h.ns, "link", "set", MGMT_IF, "up");

  const ovsDir = path.join(state.runDir, h.id);
  const spec = {
    lab: plan.name,
    hostId: h.id,
    ns: h.ns,
    dir: ovsDir,
    bridge,
    datapathId: h.datapathId,
    fabricMac: h.fabricMac,
    controller: state.controller,
  };
  checkpoint(signal);
  const pids = await startOvs(spec);
  checkpoint(signal);
  await createBridge(spec);
  await ipIn(h.ns, "addr", "add", `${h.fabricIp}/${h.fabricPrefixLen}`, "dev", bridge);
  await ipIn(h.ns, "link", "set", bridge, "up");
  await ipIn(h.ns, "route", "add", "default", "via", h.gatewayIp, "dev", bridge);
  // the underlay routes the host's instance block to the host (a datacenter's fabric would announce
  // it): the shared router, or in the internet topology only the host's own datacenter's edge
  const routerNs = net?.edges.find((e) => e.dc === h.dc)?.ns ?? plan.routerNs;
  await ipIn(routerNs, "route", "add", h.instanceBlock, "via", h.fabricIp);
  const host: HostState = {
    id: h.id,
    index: h.index,
    dc: h.dc,
    ns: h.ns,
    bridge,
    datapathId: h.datapathId,
    fabricIp: h.fabricIp,
    fabricPrefixLen: h.fabricPrefixLen,
    fabricMac: h.fabricMac,
    nicMac: h.nicMac,
    gatewayIp: h.gatewayIp,
    gatewayMac: h.gatewayMac,
    instanceBlock: h.instanceBlock,
    mgmtIp: h.mgmtIp,
    ovsDir,
    pids,
  };
  const g = net?.gateways.find((x) => x.hostId === h.id);
  if (g) {
    await wireWan(plan.name, h.ns, g);
    // the tunnel itself is the agent's (apps/agent/src/gateway.ts), as on a real gateway
    host.gateway = { mode: g.mode, publicIp: g.publicIp, wgIf: g.wgIf };
  }
  if (state.agentCommand) {
    host.pids.agent = await spawnInNs(
      h.ns,
      ["sh", "-c", state.agentCommand],
      path.join(ovsDir, "agent.log"),
      agentEnv(state, host),
      { networkOnly: true, hostOnlyEnv: true },
    );
  }
  return host;
}

/**
 * Brings a lab up: namespaces, switches, router, management path, one Open vSwitch per host and
 * (optionally) an agent per host. Refuses if the lab exists; a failure half-way sweeps what it made.
 */
export async function labUp(options: UpOptions): Promise<LabState> {
  requirePrerequisites({ internet: options.topology === "internet" });
  const log = options.log ?? (() => undefined);
  const name = options.name ?? randomLabName();
  const problem = labNameProblem(name);
  if (problem) throw new LabError(problem);
  const bridge = options.bridge ?? DEFAULT_BRIDGE;
  if (!/^[a-z][a-z0-9-]{0,14}$/.test(bridge) || bridge === FABRIC_IF || bridge === MGMT_IF)
    throw new LabError(
      `bridge name "${bridge}" must be an interface name (a-z0-9-, at most 15) other than ${FABRIC_IF} and ${MGMT_IF}`,
    );

  // validate everything before the first side effect (the run dir)
  planLab(name, options.datacenters, options.hostsPerDc, 0);
  resolveController(options.controller, "198.18.0.1");
  const hadRunDir = existsSync(runDirOf(name));

  return withLabLock(
    name,
    async () => {
      const existing = await readState(name).catch((e: Error) => {
        throw new LabError(`lab ${name} has an unreadable state file (${e.message}); run "lab down --name ${name}"`);
      });
      if (existing?.phase === "up")
        throw new LabError(
          `lab ${name} already up since ${existing.createdAt} (${statePathOf(name)}); run "lab down --name ${name}" first`,
        );
      if (existing)
        throw new LabError(`lab ${name} did not finish coming up; run "lab down --name ${name}" to clear it`);
      const left = await findLeftovers(name);
      if (!isEmpty(left)) {
        // the run dir is what marks names as a lab's: do not leave one behind for someone else's
        if (!hadRunDir) await rm(runDirOf(name), { recursive: true, force: true });
        throw new LabError(
          `names with the prefix ${name}- exist (namespaces: ${left.namespaces.join(" ") || "-"}; links: ${left.links.join(" ") || "-"}): ` +
            `pick another name, or if they are a lab's leftovers run "lab down --name ${name} --force"`,
        );
      }
      const plan = planLab(name, options.datacenters, options.hostsPerDc, pickMgmtSlot(name, await usedRootSubnets()));
      const net = options.topology === "internet" ? planInternet(plan, options.gatewaysPerDc) : undefined;
      const state: LabState = {
        version: 1,
        name,
        phase: "starting",
        createdAt: new Date().toISOString(),
        runDir: runDirOf(name),
        controller: resolveController(options.controller, plan.mgmt.tscIp),
        agentCommand: options.agentCommand,
        mgmt: plan.mgmt,
        router: { ns: net?.ns ?? plan.routerNs },
        ...(net ? { internet: { ns: net.ns, subnet: net.subnet, edges: net.edges } } : {}),
        datacenters: plan.datacenters.map((d) => ({
          index: d.index,
          id: d.id,
          ns: d.ns,
          subnet: d.subnet,
          routerIp: d.routerIp,
          routerMac: d.routerMac,
        })),
        hosts: [],
        instances: [],
      };
      await mkdir(state.runDir, { recursive: true });
      await writeState(state);
      const t0 = Date.now();
      try {
        if (net) await buildInternet(plan, net, state.runDir);
        await buildSwitchesAndRouter(plan, { router: !net });
        log(`switches, router and management bridge ready (${Date.now() - t0} ms)`);
        checkpoint(options.signal);
        state.hosts = await withRaisedRmem(() =>
          pool(plan.hosts, 4, (h) => buildHost(plan, h, state, bridge, options.signal, net)),
        );
        checkpoint(options.signal);
        log(`${plan.hosts.length} hosts ready (${Date.now() - t0} ms)`);
        state.phase = "up";
        await writeState(state);
        return state;
      } catch (e) {
        log(`bring-up failed, tearing down: ${(e as Error).message}`);
        await sweep(name);
        throw e;
      }
    },
    { create: true },
  );
}
