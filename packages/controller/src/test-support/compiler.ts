import { EthType, Instruction, Port } from "@nvi/openflow";
import { FlowSpec } from "../flow.ts";
import { cookieFor, PRIORITY, STAGES } from "../tables.ts";

/** An instance port on this switch, bound to its MAC and IPv4 address (anti-spoofing). */
export interface Endpoint {
  port: number;
  mac: string;
  ipv4: string;
}

/** A temporary drop on a port (e.g. a tenant flooding the TSC), lifted at `untilMs`. */
export interface PortBlock {
  port: number;
  untilMs: number;
}

/** What one switch should do, as decided upstream (policy, endpoints). Plain data, no I/O. */
export interface DesiredSwitchState {
  policyVersion: number;
  endpoints: Endpoint[];
  /** Allowed conversations by IPv4 address, both endpoints on this switch; each pair is bidirectional. */
  allow: { a: string; b: string }[];
  blocks?: PortBlock[];
}

export type Clock = () => number;

/** Priorities only this compiler uses (the mapping's are in tables.ts). */
const ARP_DROP = 1;
const BLOCK = 1000;

const goto = (stage: { table: number }): Instruction => ({ type: "gotoTable", tableId: stage.table });

/**
 * The first-generation flow compiler (one switch, static pairs, addresses as they are), kept as
 * test support: the TSC's resync tests and the diff tests drive a switch with it. The product's
 * pipeline is the NVI mapping's (`mapping/flows.ts`, README "Pipeline").
 *
 * The pure flow compiler: desired state + clock in, flows out. Same input, same output: no I/O,
 * no randomness, no reading the real time. Output order is stable (sorted by table, priority, key).
 */
export function compileSwitchFlows(state: DesiredSwitchState, now: Clock): FlowSpec[] {
  const flows: FlowSpec[] = [];
  const pipeline = cookieFor("PIPELINE", state.policyVersion);
  const pairCookie = cookieFor("PAIR", state.policyVersion);
  const byIp = new Map(state.endpoints.map((e) => [e.ipv4, e]));

  // table-miss of every stage: security drops, ARP falls through, forward asks the TSC
  flows.push({
    tableId: STAGES.PORT_SECURITY.table,
    priority: PRIORITY.MISS,
    match: {},
    instructions: [],
    cookie: pipeline,
  });
  flows.push({
    tableId: STAGES.ARP_RESPONDER.table,
    priority: ARP_DROP,
    match: { ethType: EthType.ARP },
    instructions: [],
    cookie: pipeline,
  });
  flows.push({
    tableId: STAGES.ARP_RESPONDER.table,
    priority: PRIORITY.MISS,
    match: {},
    instructions: [goto(STAGES.FORWARD)],
    cookie: pipeline,
  });
  flows.push({
    tableId: STAGES.FORWARD.table,
    priority: PRIORITY.MISS,
    match: {},
    instructions: [{ type: "applyActions", actions: [{ type: "output", port: Port.CONTROLLER }] }],
    cookie: pipeline,
  });

  for (const e of state.endpoints) {
    flows.push({
      tableId: STAGES.PORT_SECURITY.table,
      priority: PRIORITY.ENDPOINT,
      match: { inPort: e.port, ethSrc: e.mac, ethType: EthType.IPV4, ipv4Src: e.ipv4 },
      instructions: [goto(STAGES.ARP_RESPONDER)],
      cookie: pipeline,
    });
    flows.push({
      tableId: STAGES.PORT_SECURITY.table,
      priority: PRIORITY.ENDPOINT,
      match: { inPort: e.port, ethSrc: e.mac, ethType: EthType.ARP, arpSpa: e.ipv4, arpSha: e.mac },
      instructions: [goto(STAGES.ARP_RESPONDER)],
      cookie: pipeline,
    });
  }

  const now_ = now();
  for (const b of state.blocks ?? []) {
    const seconds = Math.ceil((b.untilMs - now_) / 1000);
    if (seconds <= 0) continue;
    flows.push({
      tableId: STAGES.PORT_SECURITY.table,
      priority: BLOCK,
      match: { inPort: b.port },
      instructions: [],
      cookie: cookieFor("BLOCK", state.policyVersion),
      hardTimeout: Math.min(seconds, 0xffff),
    });
  }

  const directed = state.allow.flatMap(({ a, b }) => [
    [a, b],
    [b, a],
  ]);
  const seen = new Set<string>();
  for (const [srcIp, dstIp] of directed) {
    const src = srcIp === undefined ? undefined : byIp.get(srcIp);
    const dst = dstIp === undefined ? undefined : byIp.get(dstIp);
    if (!src || !dst || src === dst || seen.has(`${src.ipv4}>${dst.ipv4}`)) continue;
    seen.add(`${src.ipv4}>${dst.ipv4}`);
    flows.push({
      tableId: STAGES.ARP_RESPONDER.table,
      priority: PRIORITY.ENDPOINT,
      match: { inPort: src.port, ethType: EthType.ARP, arpOp: 1, arpTpa: dst.ipv4 },
      instructions: [
        {
          type: "applyActions",
          actions: [
            { type: "setField", field: "ethDst", value: src.mac },
            { type: "setField", field: "ethSrc", value: dst.mac },
            { type: "setField", field: "arpOp", value: 2 },
            { type: "setField", field: "arpSha", value: dst.mac },
            { type: "setField", field: "arpSpa", value: dst.ipv4 },
            { type: "setField", field: "arpTha", value: src.mac },
            { type: "setField", field: "arpTpa", value: src.ipv4 },
            { type: "output", port: Port.IN_PORT },
          ],
        },
      ],
      cookie: pairCookie,
    });
    flows.push({
      tableId: STAGES.FORWARD.table,
      priority: PRIORITY.ENDPOINT,
      match: { inPort: src.port, ethType: EthType.IPV4, ipv4Src: src.ipv4, ipv4Dst: dst.ipv4 },
      instructions: [
        {
          type: "applyActions",
          actions: [
            { type: "setField", field: "ethSrc", value: src.mac },
            { type: "setField", field: "ethDst", value: dst.mac },
            { type: "output", port: dst.port },
          ],
        },
      ],
      cookie: pairCookie,
    });
  }
  return flows;
}
