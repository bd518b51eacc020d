import { z } from "zod";

/** The agent's configuration. It holds no database or Redis credentials, ever. */
export const AgentEnv = z
  .object({
    /** The join string from the console (`nvj_…@https://console`); needed only until the host is enrolled. */
    NVI_JOIN: z.string().min(1).optional(),
    /** Overrides the console address carried by the join string or kept in the state file. */
    NVI_CONTROL_URL: z.string().url().optional(),
    /** Where the host identity and credential are kept (mode 0600). */
    NVI_STATE_DIR: z.string().min(1).default("/var/lib/nvi-agent"),
    /** The name this host enrolls under (default: the machine's hostname). */
    NVI_HOSTNAME: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/, "a hostname")
      .optional(),
    NVI_BRIDGE: z
      .string()
      .regex(/^[a-z0-9-]{1,15}$/, "an interface name: a-z, 0-9, -, at most 15")
      .default("veb0"),
    NVI_DATACENTER: z.string().min(1).max(64).optional(),
    NVI_FABRIC_ADDRESS: z.string().min(1).max(64).optional(),
    /** The routed block of fabric addresses for this host's instances (the underlay routes it to this host), e.g. 100.65.3.0/24. */
    NVI_INSTANCE_BLOCK: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "an IPv4 CIDR like 100.65.3.0/24")
      .optional(),
    /** OpenFlow target of the TSC (`tcp:ADDR:PORT`). When set, the agent owns the VEB bridge; when not, it leaves OVS alone. */
    NVI_CONTROLLER: z
      .string()
      .regex(/^(tcp|ssl):[^:]+:\d{1,5}$/, "tcp:ADDRESS:PORT or ssl:ADDRESS:PORT")
      .optional(),
    /** Names of the network namespaces of netns instances start with this (the lab uses its own, so `lab down` sweeps them). */
    NVI_NETNS_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,20}$/, "lower-case letters, digits, -")
      .default("nvi-"),
    /** Guests the qemu runtime boots: `<dir>/<image>/{vmlinuz,initrd}` (infra/images/build-guest.sh writes them here). */
    NVI_IMAGE_DIR: z.string().startsWith("/", "an absolute path").default("/var/lib/nvi/images"),
    /** QEMU acceleration: `auto` uses KVM only where the CPU has vmx/svm (not on PVM hosts), else TCG. */
    NVI_QEMU_ACCEL: z.enum(["auto", "tcg", "kvm"]).default("auto"),
    /**
     * ovs-vswitchd's control socket for `ovs-appctl` (traces) and the datapath settle, when it is not where
     * OVS puts it by default (the lab's); the bridge's management socket is then looked for beside it.
     */
    NVI_OVS_UNIXCTL: z.string().startsWith("/", "an absolute path").optional(),
    /** The WireGuard interface a gateway host's tunnel uses (its UAPI socket is shared by every namespace: the lab names one per host). */
    NVI_WG_INTERFACE: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,15}$/, "an interface name, at most 15 characters")
      .default("nvi-wg0"),
    /** Host ports kept free for mapping keys (net.ipv4.ip_local_reserved_ports). */
    NVI_RESERVED_PORTS: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, "LOW-HIGH")
      .default("40000-49999"),
  })
  .strict();
export type AgentEnv = z.infer<typeof AgentEnv>;

/** The process environment, validated; the only place the agent reads it. */
export function agentEnv(): AgentEnv {
  return parseAgentEnv(process.env);
}

/** Only NVI_* variables are the agent's; everything else in the environment is ignored. */
export function parseAgentEnv(source: Record<string, string | undefined>): AgentEnv {
  const ours = Object.fromEntries(
    Object.entries(source).filter(([k, v]) => k.startsWith("NVI_") && v !== undefined && v !== ""),
  );
  const result = AgentEnv.safeParse(ours);
  if (!result.success) {
    throw new Error(
      `the agent's environment is invalid:\n${result.error.issues.map((i) => `  ${i.path.join(".") || i.message}: ${i.message}`).join("\n")}`,
    );
  }
  return result.data;
}
