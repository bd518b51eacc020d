import type { CoreDeps } from "../context.ts";
import { runLaunch, runTerminate, type ExecutorOptions, type InstanceDataPlane } from "./executor.ts";
import { runPolicyApply } from "../policy/apply-executor.ts";
import { runLifecycle } from "./lifecycle-executor.ts";
import type { OperationKind } from "./operations.ts";

type Runner = (deps: CoreDeps, plane: InstanceDataPlane, operationId: string, o?: ExecutorOptions) => Promise<void>;

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
export function runOperation(deps: CoreDeps, plane: InstanceDataPlane, kind: OperationKind, operationId: string, o?: ExecutorOptions): Promise<void> {
  return OPERATION_RUNNERS[kind](deps, plane, operationId, o);
}
