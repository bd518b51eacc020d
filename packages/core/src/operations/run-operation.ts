import type { CoreDeps } from "../context.ts";
import { runLaunch, runTerminate } from "../instances/executor.ts";
import { runLifecycle } from "../instances/lifecycle-executor.ts";
import { runPolicyApply } from "../policy/apply-executor.ts";
import type { DataPlane, ExecutorOptions } from "./data-plane.ts";
import type { OperationKind } from "./queue.ts";

type Runner = (deps: CoreDeps, plane: DataPlane, operationId: string, o?: ExecutorOptions) => Promise<void>;

/** What the worker runs for each operation kind (the job's name is the kind): one table, so a new kind is one line. */
export const OPERATION_RUNNERS: Record<OperationKind, Runner> = {
  "instance.launch": runLaunch,
  "instance.terminate": runTerminate,
  "instance.stop": runLifecycle,
  "instance.start": runLifecycle,
  "instance.restart": runLifecycle,
  "policy.apply": runPolicyApply,
};

export function isOperationKind(name: string): name is OperationKind {
  return Object.hasOwn(OPERATION_RUNNERS, name);
}

/** Runs one operation to its end (see each runner for its exactly-once story). */
export function runOperation(
  deps: CoreDeps,
  plane: DataPlane,
  kind: OperationKind,
  operationId: string,
  o?: ExecutorOptions,
): Promise<void> {
  return OPERATION_RUNNERS[kind](deps, plane, operationId, o);
}
