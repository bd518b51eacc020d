export { startTsc, readFlows } from "./tsc.ts";
export type { Tsc, TscOptions, SyncResult, SwitchClaim, Admission } from "./tsc.ts";
export type { ControllerApp } from "./app.ts";
export { diffFlows, diffToFlowMods, resyncDiff } from "./diff.ts";
export type { FlowDiff, ResyncHooks } from "./diff.ts";
export { addFlowMod, deleteStrictFlowMod, flowKey, fromFlowStats } from "./flow.ts";
export type { FlowSpec } from "./flow.ts";
export { FlowTable, matches } from "./flow-table.ts";
export type { Packet, TraceResult } from "./flow-table.ts";
export {
  COOKIE_OWNER,
  COOKIE_OWNER_MASK,
  cookieFor,
  cookieKind,
  FlowKind,
  PRIORITY,
  STAGES,
  TABLE_IDS,
} from "./tables.ts";
export { readTscEnv, tscEnvSchema } from "./env.ts";
export type { TscEnv } from "./env.ts";
export * from "./mapping/index.ts";
export { taggedCookie, cookieTag, COOKIE_KIND_TAG_MASK } from "./tables.ts";
export type { SettleOutcome } from "./datapath-settle.ts";
