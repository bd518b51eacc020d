import { addFlowMod, deleteStrictFlowMod, flowBody, flowKey, FlowSpec, type MeterSpec } from "./flow.ts";
import { FlowMod } from "@nvi/openflow";
import { cookieKind } from "./tables.ts";

export interface FlowDiff {
  /** New or changed flows (an ADD replaces a flow with the same table + priority + match). */
  add: FlowSpec[];
  /** Installed flows nobody wants any more. */
  remove: FlowSpec[];
  unchanged: number;
}

/**
 * Installed vs desired, keyed by table + priority + match. Flows for which `keep` returns true
 * (e.g. short-lived reactive drops, hard-timeout blocks) are never removed just for being absent.
 */
export function diffFlows(
  installed: readonly FlowSpec[],
  desired: readonly FlowSpec[],
  keep: (f: FlowSpec) => boolean = () => false,
): FlowDiff {
  const have = new Map(installed.map((f) => [flowKey(f), f]));
  const want = new Map(desired.map((f) => [flowKey(f), f]));
  const add: FlowSpec[] = [];
  let unchanged = 0;
  for (const [key, f] of want) {
    const cur = have.get(key);
    if (cur && flowBody(cur) === flowBody(f)) unchanged++;
    else add.push(f);
  }
  const remove = [...have].filter(([key, f]) => !want.has(key) && !keep(f)).map(([, f]) => f);
  return { add, remove, unchanged };
}

/** Deletes first, then adds: a changed flow is replaced in place by its ADD. */
export function diffToFlowMods(d: FlowDiff): FlowMod[] {
  return [...d.remove.map(deleteStrictFlowMod), ...d.add.map(addFlowMod)];
}

/** What the embedder of the TSC says about one switch's flows (the NVI mapping's `tscOptions()`). */
export interface ResyncHooks {
  /** The desired flows of a switch; absent = none (only kept flows survive a resync). */
  desiredFlows?: (datapathId: bigint) => FlowSpec[];
  /** Called with what the switch holds before the desired flows are computed (recovery after a restart). */
  beforeSync?: (datapathId: bigint, installed: readonly FlowSpec[]) => void;
  /** Flows resync must leave although nobody asked for them; our own REACTIVE ones are always kept. */
  keepFlow?: (flow: FlowSpec, datapathId: bigint) => boolean;
  /** Meters the desired flows name (configured before the flows are applied; absent = none). */
  desiredMeters?: (datapathId: bigint) => MeterSpec[];
}

/** Reactive flows an app installs itself are not the desired state's business: resync leaves them. */
const keepOnResync = (f: FlowSpec): boolean => cookieKind(f.cookie) === "REACTIVE";

/**
 * One resync of a switch, given what it holds: recovery first (`beforeSync`), then the difference
 * to its desired flows. The TSC applies it over OpenFlow; the in-memory switches of the tests
 * apply the very same diff to a `FlowTable`.
 */
export function resyncDiff(datapathId: bigint, installed: readonly FlowSpec[], hooks: ResyncHooks): FlowDiff {
  hooks.beforeSync?.(datapathId, installed);
  const desired = hooks.desiredFlows?.(datapathId) ?? [];
  const keep = hooks.keepFlow;
  return diffFlows(installed, desired, keep ? (f) => keepOnResync(f) || keep(f, datapathId) : keepOnResync);
}
