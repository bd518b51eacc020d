import type { MessageOf, OpenFlowLogger } from "@nvi/openflow";
import type { Inventory, PairPolicy } from "./model.ts";
import type { ControllerApp } from "../app.ts";
import type { FlowSpec, MeterSpec } from "../flow.ts";

/** A packet-in admitted by its port's limits, waiting for its turn (the mapping's fair queue). */
export interface WaitingPacketIn {
  dpid: bigint;
  inPort: number;
  /** the port's key in the PortGuard and the FairQueue */
  key: string;
  m: MessageOf<"packetIn">;
  /** when it arrived (performance.now, for the setup latency) and the clock then (ms) */
  t0: number;
  now: number;
}

export interface MappingOptions {
  inventory: Inventory;
  policy?: PairPolicy;
  /** VPCs whose instances an endpoint of `vpcId` may be paired with (itself and its peerings; default: itself) */
  reachableVpcs?: (vpcId: string) => string[];
  /** seconds a pair flow lives without traffic (default 300; 0 = until revoked) */
  idleTimeout?: number;
  /** ms within which a gateway's further link changes fold into one move of its pairs (default 1000) */
  gatewayMoveHoldMs?: number;
  /**
   * ms after the mapping starts during which a pair across clouds read back from a VEB waits for its
   * clouds' gateways to reconnect before it is judged (default 15000; README "Cookies, revocation, recovery")
   */
  settleMs?: number;
  /** seconds a denied conversation is dropped without asking again (default 5) */
  denySeconds?: number;
  /** packet-ins accepted per instance port: sustained per second and burst (default 100 / 200) */
  packetInRate?: { perSecond: number; burst: number };
  /** seconds a port over its packet-in rate has its misses dropped at first (default 2; doubles while it keeps flooding, up to 16) */
  rateLimitSeconds?: number;
  /** short drop flows (denied conversations) one port may hold at once before its misses are dropped as a whole (default 32) */
  maxDenyFlowsPerPort?: number;
  logger?: OpenFlowLogger;
  /** ms since the epoch, for the packet-in rate limiter and settling (default Date.now; tests inject one) */
  clock?: () => number;
}

export interface MappingStats {
  hosts: number;
  endpoints: number;
  leases: number;
  activePairs: number;
  pairFlows: number;
  /** pairs left half by a VEB that lost flows (its vswitchd restarted; a restart adopted them half), set up again whole */
  restoredPairs: number;
  packetIns: number;
  setups: number;
  denied: number;
  /** packet-ins not judged because their port was over its limits */
  rateLimited: number;
  /** port drop flows installed (a port over its packet-in rate or its share of short drops) */
  blocks: number;
  /** packet-ins dropped while waiting for their turn (their port had too many waiting) */
  queueDropped: number;
  /** packet-in received → both VEBs acknowledged (barrier) → first packet released, in ms */
  setupMs: { count: number; p50: number; p99: number; max: number };
  /** the TSC's own share of it: packet-in received → every flow-mod written (lookup, policy, flows), in ms */
  decideMs: { count: number; p50: number; p99: number; max: number };
}

/** What `NviMapping.tscOptions()` hands the TSC (spread into `startTsc`). */
export interface MappingTscOptions {
  desiredFlows: (dpid: bigint) => FlowSpec[];
  desiredMeters: (dpid: bigint) => MeterSpec[];
  beforeSync: (dpid: bigint, installed: readonly FlowSpec[]) => void;
  keepFlow: (f: FlowSpec, dpid: bigint) => boolean;
  app: ControllerApp;
}
