import { writeFile } from "node:fs/promises";
import path from "node:path";
import { LabError } from "./exec.ts";
import { ofctl, plumbingFlows, vsctl } from "./ovs.ts";
import { LAB_COOKIE, resolveController } from "./plan.ts";
import { type HostState, type LabState, readState, withLabLock, writeState } from "./state.ts";

async function upState(lab: string): Promise<LabState> {
  const state = await readState(lab);
  if (state?.phase !== "up") throw new LabError(`lab ${lab} is not up`);
  return state;
}

function pick(state: LabState, hostIds: readonly string[] | undefined): HostState[] {
  if (!hostIds || hostIds.length === 0) return state.hosts;
  return hostIds.map((id) => {
    const h = state.hosts.find((x) => x.id === id);
    if (!h) throw new LabError(`lab ${state.name} has no host ${id}`);
    return h;
  });
}

/**
 * (Re)installs the host plumbing flows (LOCAL <-> fabric NIC, cookie LAB_COOKIE) on the given
 * hosts' VEBs, replacing only flows with that cookie. A controller that resyncs its own pipeline
 * deletes them; until the TSC carries host traffic itself, this puts the hosts back on the fabric.
 */
export async function restorePlumbing(lab: string, hostIds?: readonly string[]): Promise<string[]> {
  const state = await upState(lab);
  const hosts = pick(state, hostIds);
  await Promise.all(
    hosts.map(async (h) => {
      const file = path.join(h.ovsDir, "lab-flows.txt");
      await writeFile(file, `${plumbingFlows(h.fabricMac).join("\n")}\n`);
      await ofctl(h.ovsDir, "del-flows", h.bridge, `cookie=${LAB_COOKIE}/-1`);
      await ofctl(h.ovsDir, "add-flows", h.bridge, file);
    }),
  );
  return hosts.map((h) => h.id);
}

/**
 * Points every VEB at `target` (tcp:ADDR:PORT, "mgmt" = the lab's TSC address) or, with
 * undefined, removes the controller. OVS flushes a bridge's flows when its controller is set or
 * removed, so the plumbing flows are put back afterwards.
 */
export async function setController(lab: string, target: string | undefined): Promise<string | undefined> {
  return withLabLock(lab, async () => {
    const state = await upState(lab);
    const resolved = resolveController(target, state.mgmt.tscIp);
    await Promise.all(
      state.hosts.map(async (h) => {
        if (resolved === undefined) {
          await vsctl(h.ovsDir, "del-controller", h.bridge);
          return;
        }
        await vsctl(
          h.ovsDir,
          "--",
          "--id=@c",
          "create",
          "Controller",
          `target="${resolved}"`,
          "max_backoff=1000",
          "inactivity_probe=5000",
          "--",
          "set",
          "bridge",
          h.bridge,
          "controller=@c",
        );
      }),
    );
    await restorePlumbing(lab);
    state.controller = resolved;
    await writeState(state);
    return resolved;
  });
}
