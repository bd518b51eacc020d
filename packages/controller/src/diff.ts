import { addFlowMod, deleteStrictFlowMod, flowBody, flowKey, FlowSpec } from "./flow.ts";
import { FlowMod } from "@nvi/openflow";

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
export function diffFlows(installed: readonly FlowSpec[], desired: readonly FlowSpec[], keep: (f: FlowSpec) => boolean = () => false): FlowDiff {
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
