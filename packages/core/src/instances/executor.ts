import {
  QEMU_START_COMMAND_TIMEOUT_MS,
  type CommandResult,
  type HostCommandBody,
  type InstanceRuntime,
  type InstanceSpec,
} from "@nvi/contracts";
import type { CoreDeps } from "../context.ts";
import { failed, type DataPlane, type ExecutorOptions } from "../operations/data-plane.ts";
import { parseCidr, type Cidr } from "../net/cidr.ts";
import { releaseAddress } from "../vpcs/ipam.ts";
import { finishCancelledLaunch } from "./cancel.ts";
import { withContainerExtras } from "./container-launch.ts";
import { guestSpecOf, type StoredGuestConfig } from "./guest-config.ts";
import { awaitCommand, commandWaitKey, issueCommand } from "./commands.ts";
import { OperationParked, waitClock, type WaitClock } from "../operations/parking.ts";
import {
  beginOperation,
  cancelRequestedBy,
  finishOperation,
  noteRunningStep,
  progressOf,
  type OperationProgress,
} from "../operations/progress.ts";

/** One command to the instance's host for this operation (issued once per kind), and the agent's answer. */
export async function askHost(
  deps: CoreDeps,
  inst: { hostId: string },
  operationId: string,
  body: HostCommandBody,
  o: ExecutorOptions,
): Promise<CommandResult> {
  const commandId = await issueCommand(deps, { hostId: inst.hostId, operationId, body });
  const wait = waitClock(deps, operationId, commandWaitKey(commandId), {
    parkAfterMs: o.parkAfterMs,
    note: (waitingFor) => noteRunningStep(deps, operationId, waitingFor),
  });
  const result = await awaitCommand(deps, commandId, commandTimeoutOf(body, o), wait);
  await wait.done();
  return result;
}

/**
 * How long to wait for the agent's answer: the worker's setting, but never less than a VM's boot
 * for a VM's start or resume (the agent answers those once the guest answered, minutes under TCG).
 */
export function commandTimeoutOf(body: HostCommandBody, o: ExecutorOptions): number {
  const base = o.commandTimeoutMs ?? 120_000;
  const boots = (body.kind === "instance.start" || body.kind === "instance.resume") && body.spec.runtime === "qemu";
  return boots ? Math.max(base, QEMU_START_COMMAND_TIMEOUT_MS) : base;
}

/** The command that unplugs an instance and deletes it from its host. */
export const removeCommand = (inst: { id: string; runtime: InstanceRuntime }): HostCommandBody => ({
  kind: "instance.remove",
  instanceId: inst.id,
  runtime: inst.runtime,
});

/**
 * What the agent needs to (re-)create an instance: everything comes from its row, its subnet and (a
 * VM's) guest config; sealed user-data is added only as the command is handed to the agent.
 */
export function specOf(inst: InstanceRow): InstanceSpec {
  const cidr = parseCidr(inst.subnet.cidr) as Cidr;
  return {
    instanceId: inst.id,
    name: inst.name,
    runtime: inst.runtime,
    image: inst.image,
    command: null,
    cpus: inst.cpus,
    memoryMiB: inst.memoryMiB,
    mac: inst.mac,
    address: inst.address,
    prefixLen: cidr.prefix,
    gateway: inst.subnet.gateway,
    ...guestSpecOf(inst.guestConfig),
  };
}
type InstanceRow = Pick<InstanceSpec, "name" | "runtime" | "image" | "cpus" | "memoryMiB" | "mac" | "address"> & {
  id: string;
  subnet: { cidr: string; gateway: string };
  guestConfig?: StoredGuestConfig;
};

/** The spec a start or resume command carries: specOf, and for a container its argv, environment and registry. */
export const startSpecOf = (
  deps: CoreDeps,
  inst: InstanceRow & { hostId: string; commandArgs: string[] },
): Promise<InstanceSpec> => withContainerExtras(deps, inst, specOf(inst));

/**
 * Starts an operation on an instance that must still be there and not on its way out. Null when
 * there is nothing to run: a duplicate delivery, or the operation was finished here with the reason.
 */
export async function beginOnInstance(deps: CoreDeps, operationId: string) {
  const op = await beginOperation(deps, operationId);
  if (!op) return null;
  const inst = await deps.db.instance.findUnique({
    where: { id: op.targetId },
    include: { subnet: true, guestConfig: true },
  });
  if (!inst || inst.status === "terminating" || inst.status === "terminated") {
    const error = inst ? `the instance is ${inst.status}` : "the instance no longer exists";
    await finishOperation(deps, operationId, { ok: false, error });
    return null;
  }
  return { op, inst, progress: progressOf(deps, operationId) };
}

type PlugRequest = Parameters<DataPlane["plug"]>[0];

/**
 * The TSC step waits for every VEB it programs (the instance's host's and its VPC peers' hosts'; a
 * worker restart, a switch reconnecting): the step says which, and at the deadline the operation
 * fails with the reason (it can be retried). `wait`: the step's one deadline counts from when it
 * began waiting, across parked runs.
 */
async function awaitVebs(
  plane: DataPlane,
  progress: OperationProgress,
  inst: { hostId: string; vpcId: string },
  o: ExecutorOptions,
  wait: WaitClock,
): Promise<void> {
  if (!plane.vebsAway) return;
  const deadlineMs = o.vebDeadlineMs ?? 60_000;
  const seconds = Math.round(deadlineMs / 1000);
  let told = "";
  for (;;) {
    const away = await plane.vebsAway(inst);
    if (!away?.length) return;
    const names = away.join(", ");
    const deadline = (await wait.since()) + deadlineMs;
    if (Date.now() >= deadline)
      throw new Error(
        `the VEB of ${names} did not connect to the TSC within ${seconds} s, so the data path could not be confirmed; retry the operation once it is back`,
      );
    const waitingFor = `waiting for the VEB of ${names} to connect to the TSC (up to ${seconds} s)`;
    if (told !== names) await progress.step("program the TSC", "running", waitingFor);
    told = names;
    await wait.parkIfDue(deadline, waitingFor);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The TSC step of a launch or a start: the instance, now on VEB port `ofport`, is plugged into the
 * fabric. Done only once every VEB involved confirmed it (each answers a barrier after its sync);
 * one that left while it was programmed is waited for and programmed again, within the deadline.
 */
export async function programTsc(
  plane: DataPlane,
  progress: OperationProgress,
  inst: Pick<PlugRequest, "id" | "orgId" | "vpcId" | "hostId" | "mac" | "address"> & { subnet: { gateway: string } },
  ofport: number,
  o: ExecutorOptions = {},
): Promise<void> {
  await progress.step("program the TSC", "running");
  // nothing wakes a VEB wait (the switch connects to this worker's TSC): it looks again every second at most
  const wait = progress.waitClock("vebs", { parkAfterMs: o.parkAfterMs, maxLookMs: 1_000 });
  const { id, orgId, vpcId, hostId, mac, address } = inst;
  for (;;) {
    await awaitVebs(plane, progress, inst, o, wait);
    const fabric = await plane.plug({ id, orgId, vpcId, hostId, ofport, mac, address, gateway: inst.subnet.gateway });
    const away = plane.vebsAway ? await plane.vebsAway(inst) : null;
    if (away?.length) continue;
    await wait.done();
    const where = fabric ? `fabric address ${fabric}` : "no fabric address";
    return progress.step(
      "program the TSC",
      "done",
      away ? `${where}, confirmed by every VEB involved` : "no TSC in this worker: programmed when one connects",
    );
  }
}

/**
 * Runs a launch operation to its end, exactly once in effect: a duplicate delivery of a finished
 * operation does nothing, a re-run after a crash finds the command it issued (one per operation and
 * kind) and the agent's idempotent answer. On failure the instance is marked failed with the
 * reason. A cancellation is honoured before the host is asked and again before the TSC step (the
 * agent then removes what it made): the address is released, the instance marked terminated.
 */
export async function runLaunch(
  deps: CoreDeps,
  plane: DataPlane,
  operationId: string,
  o: ExecutorOptions = {},
): Promise<void> {
  const begun = await beginOnInstance(deps, operationId);
  if (!begun) return;
  const { inst, progress } = begun;
  const removeCancelled = async (cancelledBy: string): Promise<void> => {
    const removed = await askHost(deps, inst, operationId, removeCommand(inst), o);
    if (!removed.ok)
      throw new Error(
        `cancelled by ${cancelledBy}, but the host could not remove the instance: ${removed.error ?? "no reason given"}`,
      );
    await finishCancelledLaunch(deps, operationId, inst.id, cancelledBy);
  };
  const cancelledBefore = await cancelRequestedBy(deps, operationId);
  // nothing asked of the host yet: nothing to undo there (a re-run after a crash may have asked already)
  if (cancelledBefore && (await deps.db.hostCommand.count({ where: { operationId, kind: "instance.start" } })) === 0)
    return finishCancelledLaunch(deps, operationId, inst.id, cancelledBefore);
  try {
    if (cancelledBefore) return await removeCancelled(cancelledBefore);
    await deps.db.instance.update({ where: { id: inst.id }, data: { status: "starting", statusReason: null } });
    await progress.step("start on the host", "running");
    const result = await askHost(
      deps,
      inst,
      operationId,
      { kind: "instance.start", spec: await startSpecOf(deps, inst) },
      o,
    );
    if (!result.ok || !result.ofport) throw new Error(result.error ?? "the agent did not report the instance's port");
    await progress.step("start on the host", "done");
    await deps.db.instance.update({ where: { id: inst.id }, data: { ofport: result.ofport } });
    await progress.step("plug into the VEB", "done", `OpenFlow port ${result.ofport}`);
    // the last safe boundary: cancelled now, the instance comes off the host before anything else sees it
    const cancelledBy = await cancelRequestedBy(deps, operationId);
    if (cancelledBy) return await removeCancelled(cancelledBy);
    await programTsc(plane, progress, inst, result.ofport, o);
    await deps.db.instance.update({ where: { id: inst.id }, data: { status: "running" } });
    await finishOperation(deps, operationId, { ok: true });
  } catch (e) {
    if (e instanceof OperationParked) throw e; // the worker resumes it later: nothing failed
    const reason = failed(e);
    await progress.step("start on the host", "failed", reason).catch(() => undefined);
    await deps.db.$transaction(async (tx) => {
      await tx.instance.update({ where: { id: inst.id }, data: { status: "failed", statusReason: reason } });
    });
    await finishOperation(deps, operationId, { ok: false, error: reason });
  }
}

/** Terminate: out of the TSC first (traffic stops), then off the host, then the address is free. */
export async function runTerminate(
  deps: CoreDeps,
  plane: DataPlane,
  operationId: string,
  o: ExecutorOptions = {},
): Promise<void> {
  const op = await beginOperation(deps, operationId);
  if (!op) return;
  const progress = progressOf(deps, operationId);
  const inst = await deps.db.instance.findUnique({ where: { id: op.targetId } });
  if (!inst) return finishOperation(deps, operationId, { ok: true });
  try {
    await plane.unplug(inst.id);
    await progress.step("remove from the TSC", "done");
    await progress.step("remove from the host", "running");
    const result = await askHost(deps, inst, operationId, removeCommand(inst), o);
    if (!result.ok) throw new Error(result.error ?? "the agent could not remove the instance");
    await progress.step("remove from the host", "done");
    await deps.db.$transaction(async (tx) => {
      await releaseAddress(tx, inst.subnetId, inst.address);
      await tx.instance.update({
        where: { id: inst.id },
        data: { status: "terminated", ofport: null, statusReason: null, name: `${inst.name}~${inst.id.slice(-6)}` },
      });
      // a terminated container's environment has no further use: its secrets are not kept
      await tx.instanceEnv.deleteMany({ where: { instanceId: inst.id } });
    });
    await progress.step("release the address", "done", inst.address);
    await finishOperation(deps, operationId, { ok: true });
  } catch (e) {
    if (e instanceof OperationParked) throw e;
    await finishOperation(deps, operationId, { ok: false, error: failed(e) });
  }
}
