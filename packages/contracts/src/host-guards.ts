import { z } from "zod";

/**
 * What keeps a host's instances in their place (issue 14), as its agent last checked it with a
 * heartbeat: the guard on every instance port (an nftables netdev ingress chain with policy drop on
 * the userspace datapath; the kernel datapath's own rx_handler on `system`) and the egress chain on
 * the fabric NIC that drops IP options from the instance block. The agent fails closed (no port is
 * plugged unguarded), so a missing guard means something removed it afterwards (`nft flush ruleset`,
 * a firewall manager) or the fabric chain could not be set: the console flags the host.
 * Like every fact, a claim: bounded and strict, shown to the host's organization only.
 */

/** Instance ports named in the facts at most (the count says how many more). */
export const MAX_REPORTED_UNGUARDED_PORTS = 16;

/** A Linux interface name (at most 15 characters, no slash or space). */
const InterfaceName = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, "must be an interface name");

export const PORT_GUARDS = ["nftables-ingress", "kernel-datapath"] as const;
export const FABRIC_GUARD_STATES = ["active", "missing", "waiting-for-block"] as const;

export const HostGuards = z
  .object({
    /** the VEB's datapath: `netdev` (userspace; the ingress chains guard ports) or `system` (kernel; the datapath does) */
    datapath: z.enum(["netdev", "system"]),
    ports: z
      .object({
        guard: z.enum(PORT_GUARDS),
        /** instance ports on the VEB */
        plugged: z.number().int().min(0).max(100_000),
        /** of those, how many lack their guard, and the first of them by name */
        unguarded: z.number().int().min(0).max(100_000),
        unguardedNames: z.array(InterfaceName).max(MAX_REPORTED_UNGUARDED_PORTS),
      })
      .strict()
      .refine((p) => p.unguarded <= p.plugged && p.unguardedNames.length <= p.unguarded, {
        message: "unguarded ports must be among the plugged ones",
      }),
    fabric: z
      .object({
        state: z.enum(FABRIC_GUARD_STATES),
        /** why it is not active (the agent's own words), null when it is */
        reason: z
          .string()
          .max(300)
          .regex(/^[^\u0000-\u001f\u007f]*$/, "must not contain control characters")
          .nullable(),
      })
      .strict(),
    checkedAt: z.iso.datetime(),
  })
  .strict()
  .refine((g) => (g.datapath === "netdev") === (g.ports.guard === "nftables-ingress"), {
    message: "the port guard must be the datapath's (nftables-ingress on netdev, kernel-datapath on system)",
    path: ["ports", "guard"],
  });
export type HostGuards = z.infer<typeof HostGuards>;

/**
 * Why a host's guards need attention, or null when they hold (or the agent does not report them: an
 * older agent, or one that leaves Open vSwitch alone). Waiting for the console's block is not a fault.
 */
export function guardProblem(guards: HostGuards | null | undefined): string | null {
  if (!guards) return null;
  const problems: string[] = [];
  const { ports, fabric } = guards;
  if (ports.unguarded > 0) {
    const names = ports.unguardedNames.join(", ");
    const more = ports.unguarded > ports.unguardedNames.length ? ", …" : "";
    problems.push(
      `${ports.unguarded} of ${ports.plugged} instance ports without their ingress guard (${names}${more}): their instances can reach the host's own stack`,
    );
  }
  if (fabric.state === "missing")
    problems.push(
      `the fabric NIC's egress guard is missing${fabric.reason ? ` (${fabric.reason})` : ""}: instances' IP options may reach the underlay`,
    );
  return problems.length > 0 ? problems.join("; ") : null;
}
