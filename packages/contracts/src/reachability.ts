import { z } from "zod";
import { idRef } from "./ids.ts";

/** How a live probe is sent from inside an instance: an ICMP echo or a TCP connect to a port. */
export const ProbeProtocol = z.enum(["icmp", "tcp"]);
export type ProbeProtocol = z.infer<typeof ProbeProtocol>;

/** What the agent is asked to send from inside the instance's own network namespace. */
export const ProbeRequest = z.object({
  instanceId: z.string(),
  runtime: z.enum(["netns", "docker", "qemu"]),
  target: z.ipv4(),
  protocol: ProbeProtocol,
  port: z.number().int().min(1).max(65535).nullable(),
});
export type ProbeRequest = z.infer<typeof ProbeRequest>;

/**
 * The outcome as the instance saw it. `open` means a reply came back (echo reply / TCP handshake);
 * `refused` means the path works but nothing listens on the port; `no-answer` means the packets
 * were dropped somewhere (policy, an unplugged port, a stopped instance).
 */
export const ProbeOutcome = z.object({
  result: z.enum(["open", "refused", "no-answer"]),
  rttMs: z.number().nonnegative().nullable(),
  detail: z.string().max(500),
});
export type ProbeOutcome = z.infer<typeof ProbeOutcome>;

/** Who asks (an instance) and what it asks about: another instance of the organization, or any IPv4 address. */
const fromInstanceTo = {
  instanceId: idRef("instance"),
  toInstanceId: idRef("instance").optional(),
  toAddress: z.ipv4("toAddress: an IPv4 address").optional(),
};
const port = z.number().int().min(1).max(65535).optional();
type Question = { toInstanceId?: unknown; toAddress?: unknown; protocol: string; port?: number | undefined };

/** The checks both questions share: exactly one target, and a port exactly when the protocol has ports. */
function oneTargetAndPort(protocolsWithPorts: readonly string[], needs: (protocol: string) => string, only: string) {
  return (v: Question, issue: z.core.$RefinementCtx<Question>) => {
    if ((v.toInstanceId === undefined) === (v.toAddress === undefined))
      issue.addIssue({
        code: "custom",
        path: ["toInstanceId"],
        message: "toInstanceId: give the target instance or toAddress (one of them)",
      });
    const hasPorts = protocolsWithPorts.includes(v.protocol);
    if (hasPorts && v.port === undefined)
      issue.addIssue({ code: "custom", path: ["port"], message: needs(v.protocol) });
    if (!hasPorts && v.port !== undefined) issue.addIssue({ code: "custom", path: ["port"], message: only });
  };
}

/** `reachability.check`: a live probe from inside an instance (the agent on its host sends it). */
export const CheckReachabilityInput = z
  .object({ ...fromInstanceTo, protocol: ProbeProtocol.default("icmp"), port })
  .superRefine(oneTargetAndPort(["tcp"], () => "port: required for a tcp probe", "port: only for a tcp probe"));

export const ReachabilityDto = z.object({
  from: z.object({ instanceId: z.string(), name: z.string(), address: z.string(), hostName: z.string() }),
  to: z.object({ address: z.string(), instanceId: z.string().nullable(), name: z.string().nullable() }),
  protocol: ProbeProtocol,
  port: z.number().int().nullable(),
  reachable: z.boolean(),
  ...ProbeOutcome.shape,
  checkedAt: z.iso.datetime(),
});
export type ReachabilityDto = z.infer<typeof ReachabilityDto>;

/** The data path's answer: `ofproto/trace` of a packet through the source VEB's actual flows. */
export const TraceRequest = z.object({
  inPort: z.number().int().min(1),
  srcMac: z.string(),
  dstMac: z.string(),
  srcIp: z.ipv4(),
  dstIp: z.ipv4(),
  protocol: z.enum(["icmp", "tcp", "udp"]),
  port: z.number().int().min(1).max(65535).nullable(),
});
export type TraceRequest = z.infer<typeof TraceRequest>;

export const TraceOutcome = z.object({
  /** the last "Datapath actions:" line, e.g. `set(eth(...)),set(ipv4(...)),1` or `drop` */
  datapathActions: z.string().max(2000),
  /** what the VEB does with the packet, read from the trace */
  verdict: z.enum(["forwarded", "dropped", "to-controller", "unknown"]),
  /** the OpenFlow rules the packet hit, one line each (table, cookie, match → actions) */
  hops: z.array(z.string().max(1000)).max(64),
  /** the packet as it leaves (after rewrites), in ovs-ofctl flow syntax; null when dropped */
  finalFlow: z.string().max(2000).nullable(),
});
export type TraceOutcome = z.infer<typeof TraceOutcome>;

/** `reachability.trace`: a packet from an instance traced through the VEBs' flows (nothing is sent). */
export const TraceInput = z
  .object({ ...fromInstanceTo, protocol: z.enum(["icmp", "tcp", "udp"]).default("icmp"), port })
  .superRefine(oneTargetAndPort(["tcp", "udp"], (p) => `port: required for ${p}`, "port: only for tcp or udp"));

/** "Can A reach B?" answered by tracing a packet through the actual flows of each VEB on its way. */
export const TraceDto = z.object({
  from: z.object({ instanceId: z.string(), name: z.string(), address: z.string(), hostName: z.string() }),
  to: z.object({
    address: z.string(),
    instanceId: z.string().nullable(),
    name: z.string().nullable(),
    hostName: z.string().nullable(),
  }),
  protocol: z.enum(["icmp", "tcp", "udp"]),
  port: z.number().int().nullable(),
  /** one per VEB the packet crosses: the source's, then (across hosts) the destination's */
  steps: z.array(z.object({ hostName: z.string(), enters: z.string(), ...TraceOutcome.shape })),
  verdict: z.enum(["delivered", "dropped", "to-controller", "unknown"]),
  summary: z.string(),
  tracedAt: z.iso.datetime(),
});
export type TraceDto = z.infer<typeof TraceDto>;
