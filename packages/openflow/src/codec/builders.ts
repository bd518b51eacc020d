import { GROUP_ANY, NO_BUFFER, Port, TABLE_ALL } from "../constants.ts";
import { FlowMod, FlowStatsRequest } from "./messages.ts";

/** A FLOW_MOD with the usual defaults (add, table 0, priority 0x8000, no buffer, any port/group). */
export function flowMod(fields: Partial<Omit<FlowMod, "type">>): FlowMod {
  return {
    type: "flowMod",
    xid: 0,
    cookie: 0n,
    cookieMask: 0n,
    tableId: 0,
    command: "add",
    idleTimeout: 0,
    hardTimeout: 0,
    priority: 0x8000,
    bufferId: NO_BUFFER,
    outPort: Port.ANY,
    outGroup: GROUP_ANY,
    flags: 0,
    match: {},
    instructions: [],
    ...fields,
  };
}

/** A flow-stats / aggregate request over every table, port and group unless narrowed. */
export function flowStatsRequest(fields: Partial<FlowStatsRequest> = {}): FlowStatsRequest {
  return {
    tableId: TABLE_ALL,
    outPort: Port.ANY,
    outGroup: GROUP_ANY,
    cookie: 0n,
    cookieMask: 0n,
    match: {},
    ...fields,
  };
}
