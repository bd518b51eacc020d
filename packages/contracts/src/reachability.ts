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
