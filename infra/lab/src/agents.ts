import path from "node:path";
import { LabError } from "./exec.ts";
import { ofctl, plumbingFlows, respawnVswitchd } from "./ovs.ts";
import { pidInNs, spawnInNs, stopPids } from "./processes.ts";
import { type HostState, type LabState, readState, withLabLock, writeState } from "./state.ts";
import { agentEnv } from "./up.ts";

/**
 * An agent per host, started and stopped by PID, one at a time: the data-path tests kill an
 * agent and check that traffic keeps flowing, then start it again.
 */
async function withHost<T>(
  lab: string,
  hostId: string,
  fn: (state: LabState, host: HostState) => Promise<T>,
): Promise<T> {
  return withLabLock(lab, async () => {
    const state = await readState(lab);
    if (state?.phase !== "up") throw new LabError(`lab ${lab} is not up`);
    const host = state.hosts.find((h) => h.id === hostId);
    if (!host)
      throw new LabError(`lab ${lab} has no host ${hostId} (hosts: ${state.hosts.map((h) => h.id).join(" ")})`);
    const result = await fn(state, host);
    await writeState(state);
    return result;
  });
}

/** Stops the host's agent (SIGTERM to its process group, then SIGKILL); false if none ran. */
export async function stopAgent(lab: string, hostId: string): Promise<boolean> {
  return withHost(lab, hostId, async (_state, host) => {
    const pid = host.pids.agent;
    delete host.pids.agent;
    if (pid === undefined || !(await pidInNs(pid, host.ns))) return false;
    await stopPids([pid], host.ns);
    return true;
  });
}

/**
 * Starts the host's agent with `command` (default: the lab's --agent command) and the lab's
 * environment. Refuses if one is running.
 */
export async function startAgent(lab: string, hostId: string, command?: string): Promise<number> {
  return withHost(lab, hostId, async (state, host) => {
    if (host.pids.agent !== undefined && (await pidInNs(host.pids.agent, host.ns))) {
      throw new LabError(`the agent of ${hostId} already runs (pid ${host.pids.agent}); stop it first`);
    }
    const cmd = command ?? state.agentCommand;
    if (!cmd) throw new LabError(`lab ${lab} has no agent command; give one`);
    host.pids.agent = await spawnInNs(
      host.ns,
      ["sh", "-c", cmd],
      path.join(host.ovsDir, "agent.log"),
      agentEnv(state, host),
      { networkOnly: true, hostOnlyEnv: true },
    );
    return host.pids.agent;
  });
}

/**
 * Kills the host's vswitchd (-9) and starts it again (`respawnVswitchd`), as a crash or an upgrade
 * does: its VEB comes back with no flows. A VEB with a controller (fail_mode=secure) waits for it to
 * resync; one without gets the lab's plumbing flows back. Records the new PID; answers it.
 */
export async function restartVswitchd(lab: string, hostId: string): Promise<number> {
  return withHost(lab, hostId, async (state, host) => {
    host.pids.vswitchd = await respawnVswitchd(host);
    if (!state.controller)
      for (const flow of plumbingFlows(host.fabricMac)) await ofctl(host.ovsDir, "add-flow", host.bridge, flow);
    return host.pids.vswitchd;
  });
}
