import {
  listenForPolicyChanges,
  runOperation,
  type CoreDeps,
  type DataPlane,
  type ExecutorOptions,
  type OperationKind,
} from "@nvi/core";
import type { DbFabric } from "./fabric.ts";

type Log = (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void;

/**
 * Runs operations, one run per operation id in this process: a second ask (the job after the fast
 * path) shares the first. `o`: the steps' deadlines and when a wait parks (see `ExecutorOptions`).
 */
export function operationRunner(
  deps: CoreDeps,
  plane: DataPlane,
  o: ExecutorOptions = {},
): (kind: OperationKind, operationId: string) => Promise<void> {
  const running = new Map<string, Promise<void>>();
  return (kind, operationId) => {
    const known = running.get(operationId);
    if (known) return known;
    const run = runOperation(deps, plane, kind, operationId, o).finally(() => running.delete(operationId));
    running.set(operationId, run);
    return run;
  };
}

/**
 * The fast path of a policy change: as the API's transaction commits (LISTEN nvi_policy_changed),
 * the TSC reloads the organizations it names and revokes their pairs at once, and the operation is
 * run here as its record; the BullMQ job, when it comes, shares that run or finds it done.
 */
export function startPolicyFastPath(o: {
  databaseUrl: string;
  fabric: Pick<DbFabric, "policyChanged">;
  run: (kind: OperationKind, operationId: string) => Promise<void>;
  log: Log;
}): { close(): Promise<void>; listening: Promise<void> } {
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const channel = listenForPolicyChanges(
    o.databaseUrl,
    (change) => {
      void o.fabric
        .policyChanged(change)
        .catch((e: Error) => o.log("warn", "policy fast path failed", { error: e.message }));
      // the record, claimed at once (another worker's copy of the job then waits for it, not runs it)
      void o
        .run("policy.apply", change.operationId)
        .catch((e: Error) =>
          o.log("warn", "policy operation failed", { operationId: change.operationId, error: e.message }),
        );
    },
    (e) =>
      o.log("warn", "policy-change channel failed; reconnecting (the operations' jobs still apply them)", {
        error: e.message,
      }),
    () => listening(),
  );
  return { close: () => channel.close(), listening: ready };
}
