import type { MessageOf, OpenFlowMessage } from "@nvi/openflow";
import type { SettleOutcome } from "../datapath-settle.ts";
import type { FlowSpec } from "../flow.ts";
import { readFlows, type Tsc } from "../tsc.ts";

/**
 * The one way the mapping talks to switches. In production it is the TSC (`tscPort`); in tests
 * it is in-memory flow tables (`test-support/memory-switches.ts`), so the whole mapping runs
 * against them end to end.
 */
export interface SwitchPort {
  /** Datapath ids of the switches connected (and ready) now. */
  connected(): bigint[];
  has(datapathId: bigint): boolean;
  /** Messages to one switch, then a barrier: the OFPT_ERRORs it answered ([] when it is not connected). */
  sendWithBarrier(datapathId: bigint, messages: OpenFlowMessage[]): Promise<MessageOf<"error">[]>;
  /** One message, not waited for (a short drop, a released first packet); nothing when not connected. */
  send(datapathId: bigint, message: OpenFlowMessage): void;
  /** Bring one switch to its desired state: read back, recover, diff, apply, barrier. */
  sync(datapathId: bigint): Promise<unknown>;
  /** Every flow one switch holds, read back (rejects when it is not connected). */
  readFlows(datapathId: bigint): Promise<FlowSpec[]>;
  /** After a barrier: the switch's datapath no longer forwards by flows deleted before (its host confirms). */
  settle(datapathId: bigint): Promise<SettleOutcome>;
}

const notConnected = (dpid: bigint): Error => new Error(`switch ${dpid.toString(16)} is not connected`);

/** The TSC as the mapping's switch port (switches looked up at each call: reconnects are followed). */
export function tscPort(tsc: Pick<Tsc, "switches" | "sync" | "settle">): SwitchPort {
  return {
    connected: () => [...tsc.switches.keys()],
    has: (dpid) => tsc.switches.has(dpid),
    sendWithBarrier: (dpid, messages) => tsc.switches.get(dpid)?.sendWithBarrier(messages) ?? Promise.resolve([]),
    send: (dpid, message) => tsc.switches.get(dpid)?.send(message),
    sync: (dpid) => tsc.sync(dpid),
    readFlows: (dpid) => {
      const sw = tsc.switches.get(dpid);
      return sw ? readFlows(sw) : Promise.reject(notConnected(dpid));
    },
    settle: (dpid) => tsc.settle(dpid),
  };
}

/** No switch at all (before `attach`): every send is a no-op, nothing is connected. */
export const NO_SWITCHES: SwitchPort = {
  connected: () => [],
  has: () => false,
  sendWithBarrier: () => Promise.resolve([]),
  send: () => undefined,
  sync: () => Promise.resolve(),
  readFlows: (dpid) => Promise.reject(notConnected(dpid)),
  settle: () => Promise.resolve({ settled: false, ms: 0, reason: "no switch is attached", agent: false }),
};
