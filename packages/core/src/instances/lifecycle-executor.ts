import type { InstanceStatus } from "@nvi/contracts";
import type { CoreDeps } from "../context.ts";
import { restoreStatus } from "./cancel.ts";
import { failed, type DataPlane, type ExecutorOptions } from "../operations/data-plane.ts";
import { askHost, beginOnInstance, programTsc, removeCommand, startSpecOf } from "./executor.ts";
import { LIFECYCLE, type LifecycleKind } from "./lifecycle.ts";
import { OperationParked } from "../operations/parking.ts";
import {
  cancelRequestedBy,
  finishOperation,
  markCancelled,
  runningStep,
  stepsOf,
  type OperationProgress,
} from "../operations/progress.ts";

type Inst = NonNullable<Awaited<ReturnType<typeof beginOnInstance>>>["inst"];

/** What both phases of one operation work with. */
interface Phase {
  deps: CoreDeps;
  plane: DataPlane;
  progress: OperationProgress;
  operationId: string;
  o: ExecutorOptions;
}

/** Moves the instance's status only if nobody else moved it (a terminate that came in meanwhile wins). */
async function moveStatus(
  deps: CoreDeps,
  id: string,
  from: InstanceStatus[],
  data: { status: InstanceStatus; statusReason?: string | null; ofport?: number | null },
): Promise<boolean> {
  return (await deps.db.instance.updateMany({ where: { id, status: { in: from } }, data })).count > 0;
}

/**
 * Stop phase: the TSC forgets the instance first (its flows are revoked by cookie on every VEB, so
 * traffic stops at once and no peer keeps a stale mapping), then the agent stops the workload.
 * The address stays allocated to the instance; the VEB port stays only where the runtime keeps it
 * (netns: yes, link down; docker: no, the container's network namespace is gone), as the agent says.
 */
async function stopPhase({ deps, plane, progress, operationId, o }: Phase, inst: Inst) {
  await moveStatus(deps, inst.id, ["running", "stopping", "starting", "failed"], { status: "stopping" });
  await progress.step("remove from the TSC", "running");
  await plane.unplug(inst.id);
  await progress.step("remove from the TSC", "done");
  await progress.step("stop on the host", "running");
  const result = await askHost(
    deps,
    inst,
    operationId,
    { kind: "instance.stop", instanceId: inst.id, runtime: inst.runtime },
    o,
  );
  if (!result.ok) throw new Error(result.error ?? "the agent could not stop the instance");
  await progress.step(
    "stop on the host",
    "done",
    result.ofport ? `VEB port ${result.ofport} kept, link down` : "VEB port removed",
  );
  await moveStatus(deps, inst.id, ["stopping"], {
    status: "stopped",
    ofport: result.ofport ?? null,
    statusReason: null,
  });
}

/** Start phase: the agent starts the instance from its spec and answers with its VEB port; the TSC plugs it again. */
async function startPhase({ deps, plane, progress, operationId, o }: Phase, inst: Inst) {
  // a terminate that came in meanwhile wins: never start what is being removed
  const now = await deps.db.instance.findUnique({ where: { id: inst.id }, select: { status: true } });
  if (!now || now.status === "terminating" || now.status === "terminated")
    throw new Error(`the instance is ${now?.status ?? "gone"}: not started`);
  await moveStatus(deps, inst.id, ["stopped", "stopping", "starting", "failed"], { status: "starting" });
  await progress.step("start on the host", "running");
  const result = await askHost(
    deps,
    inst,
    operationId,
    { kind: "instance.resume", spec: await startSpecOf(deps, inst) },
    o,
  );
  if (!result.ok || !result.ofport) throw new Error(result.error ?? "the agent did not report the instance's port");
  if (!(await moveStatus(deps, inst.id, ["starting"], { status: "starting", ofport: result.ofport }))) {
    // terminated while the host was starting it: take the workload down again instead of plugging it
    await askHost(deps, inst, operationId, removeCommand(inst), o);
    throw new Error("the instance was terminated while it was being started: not plugged");
  }
  await progress.step("start on the host", "done", `VEB port ${result.ofport}`);
  await programTsc(plane, progress, inst, result.ofport, o);
  await moveStatus(deps, inst.id, ["starting"], { status: "running", statusReason: null });
}

/**
 * Runs a stop, start or restart operation to its end, exactly once in effect: a duplicate delivery
 * of a finished operation does nothing; a re-run (crash, retry) re-issues nothing the agent already
 * did (one command per operation and kind, answered from its stored result) and repeats only the
 * idempotent TSC steps. On failure the instance is marked failed with the reason (it keeps its
 * address): retry the operation, start or stop it again, or terminate it.
 */
export async function runLifecycle(
  deps: CoreDeps,
  plane: DataPlane,
  operationId: string,
  o: ExecutorOptions = {},
): Promise<void> {
  const begun = await beginOnInstance(deps, operationId);
  if (!begun) return;
  const { op, inst, progress } = begun;
  const kind = op.kind as LifecycleKind;
  const cancelled = async (o: { restoreStatus: boolean }) => {
    const by = await cancelRequestedBy(deps, operationId);
    if (!by) return false;
    await deps.db.$transaction(async (tx) => {
      if (o.restoreStatus) await restoreStatus(tx, inst.id, kind, op.priorStatus);
      await markCancelled(tx, deps, operationId, by);
    });
    return true;
  };
  try {
    // safe boundaries: before anything (the instance goes back to how it was) and, in a restart, between the phases (it stays stopped)
    if (await cancelled({ restoreStatus: true })) return;
    const phase: Phase = { deps, plane, progress, operationId, o };
    // a restart run again in its start phase (its wait resumed after parking, or a retry) does not stop
    // again: the host stopped it already (the status would flap, the TSC unplug it every look)
    const stopped =
      kind === "instance.restart" &&
      (await stepsOf(deps, operationId)).some((s) => s.name === "stop on the host" && s.status === "done");
    if (kind !== "instance.start" && !stopped) await stopPhase(phase, inst);
    if (kind === "instance.restart" && (await cancelled({ restoreStatus: false }))) return;
    if (kind !== "instance.stop") await startPhase(phase, inst);
    await finishOperation(deps, operationId, { ok: true });
  } catch (e) {
    if (e instanceof OperationParked) throw e; // the worker resumes it later: nothing failed
    const reason = failed(e);
    const running = await runningStep(deps, operationId);
    if (running) await progress.step(running.name, "failed", reason).catch(() => undefined);
    await moveStatus(deps, inst.id, ["stopping", "starting", "stopped", "running"], {
      status: "failed",
      statusReason: `${LIFECYCLE[kind].verb} failed: ${reason}`,
    });
    await finishOperation(deps, operationId, { ok: false, error: reason });
  }
}
