/** The multi-host lab: N hosts in M datacenters on one machine (see README.md). */
export { LabError, missingPrerequisites, requirePrerequisites, run, tryRun, inNs } from "./exec.ts";
export { addInstance, removeInstance, INSTANCE_PORTS, type InstanceOptions } from "./instances.ts";
export { ofctl, vsctl, plumbingFlows, ovsEnv, hostRunner } from "./ovs.ts";
export * from "./plan.ts";
export { ping, tcpProbe, udpProbe, type ProbeResult } from "./probe.ts";
export { HostState, InstanceState, LabState, parseState, readState, statePathOf, runDirOf } from "./state.ts";
export { labStatus, formatStatus, listLabs } from "./status.ts";
export { findLeftovers, isEmpty, labDown, sweep, type DownReport } from "./teardown.ts";
export { restorePlumbing, setController } from "./controller.ts";
export { agentEnv, labUp, type UpOptions } from "./up.ts";
export { restartVswitchd, startAgent, stopAgent } from "./agents.ts";
export { interconnect, INTERCONNECT_SUBNET } from "./internet.ts";
