import type { OperationStep, VebApplied } from "@nvi/contracts";
import type { CoreDeps } from "../context.ts";
import { failed, type DataPlane, type ExecutorOptions } from "../operations/data-plane.ts";
import { beginOperation, finishOperation } from "../operations/progress.ts";

/** A policy change applies in well under this; a runner still "running" after it is taken over. */
const TAKE_OVER_AFTER_MS = 30_000;

/**
 * The operation for this runner alone: the fast path and the BullMQ job (possibly in another
 * worker) both ask; the first claims it, the other waits until it is finished (nothing to do) or
 * has run so long that its runner must have died (then it takes over).
 */
async function claimOnce(deps: CoreDeps, operationId: string) {
  for (;;) {
    const op = await beginOperation(deps, operationId, { resumeRunningAfterMs: TAKE_OVER_AFTER_MS });
    if (op) return op;
    const now = await deps.db.operation.findUnique({ where: { id: operationId }, select: { status: true } });
    if (now?.status !== "running" && now?.status !== "queued") return undefined;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A VEB that confirmed: when, its barrier and datapath cache where they differ, and what it revoked. */
function vebDetail(h: VebApplied): string {
  const how =
    h.barrierMs === undefined || h.datapath === undefined
      ? "barrier"
      : `barrier after ${h.barrierMs.toFixed(1)} ms; ${h.datapath}`;
  return `confirmed after ${h.confirmedMs.toFixed(1)} ms (${how}); ${h.revokedPairs} pair(s) revoked`;
}

/**
 * Runs a `policy.apply` operation: the TSC re-reads the changed organization's policy, revokes by
 * cookie every pair flow of its tenants it no longer allows on every affected VEB, lifts the short
 * drops of pairs it now allows (their next packet passes), and the operation gets one step per VEB
 * saying when it confirmed (`at`: its barrier reply's wall-clock time, or where it revoked pairs, its
 * host's datapath settle's). The worker usually started
 * the TSC on the change's notification before this runs (the fast path); the same application is
 * shared, never done twice. Applying is idempotent (it converges to the policy as it is now), so a
 * retry or a duplicate is harmless. Every VEB is then read back before the operation finishes.
 */
export async function runPolicyApply(
  deps: CoreDeps,
  plane: DataPlane,
  operationId: string,
  _o: ExecutorOptions = {},
): Promise<void> {
  const op = await claimOnce(deps, operationId);
  if (!op) return;
  if (!plane.applyPolicy)
    return finishOperation(deps, operationId, {
      ok: false,
      error: "this worker runs no TSC: nothing could apply the policy",
    });
  try {
    const at = () => deps.clock().toISOString();
    const started = Date.now();
    const all = await plane.applyPolicy(op.orgId, operationId);
    const tscStarted = all[0]?.startedAtMs ?? started;
    const confirmedAt = (h: (typeof all)[number]) => new Date((h.startedAtMs ?? started) + h.confirmedMs).toISOString();
    // every connected VEB applies the change, but the operation names only this organization's
    // hosts: other tenants' host names (and how many there are) are not ours to show
    const ids = all.flatMap((h) => (h.hostId ? [h.hostId] : []));
    const own = new Set(
      (await deps.db.host.findMany({ where: { id: { in: ids }, orgId: op.orgId }, select: { id: true } })).map(
        (h) => h.id,
      ),
    );
    const hosts = all.filter((h) => h.hostId !== null && own.has(h.hostId));
    const foreignErrors = all.filter((h) => !(h.hostId !== null && own.has(h.hostId)) && h.error).length;
    const steps: OperationStep[] = [
      {
        name: "TSC started: the organization's policy re-read, its changed pairs revoked",
        status: "done",
        at: new Date(tscStarted).toISOString(),
        detail: `the last VEB confirmed ${Math.max(0, ...all.map((h) => h.confirmedMs)).toFixed(1)} ms after; recorded at ${at()}`,
      },
      ...hosts.map((h): OperationStep => ({
        name: `VEB of ${h.hostName}`,
        status: h.error ? "failed" : "done",
        at: confirmedAt(h),
        detail: h.error ?? vebDetail(h),
      })),
    ];
    // the flows are revoked; before the operation says so, every VEB is read back (a flow the TSC did not know of goes too)
    const readBack = Date.now();
    await plane.readBack?.();
    steps.push({ name: "every VEB read back", status: "done", at: at(), detail: `${Date.now() - readBack} ms` });
    const errors = hosts.filter((h) => h.error).map((e) => `${e.hostName}: ${e.error}`);
    if (foreignErrors > 0) errors.push(`${foreignErrors} VEB(s) of other organizations' hosts`);
    await deps.db.operation.update({ where: { id: operationId }, data: { steps, progress: 100 } });
    await finishOperation(
      deps,
      operationId,
      errors.length === 0
        ? { ok: true }
        : { ok: false, error: `${errors.length} VEB(s) did not confirm: ${errors.join("; ")}` },
    );
  } catch (error) {
    await finishOperation(deps, operationId, { ok: false, error: failed(error) });
  }
}
