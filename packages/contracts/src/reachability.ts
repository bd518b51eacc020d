import { z } from "zod";

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
