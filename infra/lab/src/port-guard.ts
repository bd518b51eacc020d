import { inNs, tryRun } from "./exec.ts";

/**
 * Keeps an instance's port (the host end of its veth) out of its host's own network stack, as the
 * agent does for real hosts (apps/agent/src/port-guard.ts; the lab imports nothing of ours, so this
 * is its own small copy). Lab bridges use the userspace datapath, whose AF_PACKET read leaves every
 * frame to the host kernel too: an nftables ingress chain with policy drop on the port runs after
 * Open vSwitch's tap and before the IP stack. Belt and braces, in case a frame gets past it: IPv6
 * off, no ARP answers, strict reverse-path filtering, no forwarding. The table lives in the host's
 * namespace, so `lab down` (which deletes the namespace) removes it with everything else.
 */
export const LAB_GUARD_TABLE = "nvi_lab";

export async function guardLabPort(hostNs: string, port: string): Promise<void> {
  await inNs(
    hostNs,
    "sysctl",
    "-qw",
    `net.ipv6.conf.${port}.disable_ipv6=1`,
    `net.ipv4.conf.${port}.arp_ignore=8`,
    `net.ipv4.conf.${port}.rp_filter=1`,
    `net.ipv4.conf.${port}.forwarding=0`,
  );
  await inNs(hostNs, "nft", "add", "table", "netdev", LAB_GUARD_TABLE);
  await inNs(
    hostNs,
    "nft",
    "add",
    "chain",
    "netdev",
    LAB_GUARD_TABLE,
    `in_${port}`,
    `{ type filter hook ingress device "${port}" priority -500 ; policy drop ; }`,
  );
}

/** Best effort: the chain may already be gone (with its device or its namespace). */
export async function unguardLabPort(hostNs: string, port: string): Promise<void> {
  await tryRun("ip", ["netns", "exec", hostNs, "nft", "delete", "chain", "netdev", LAB_GUARD_TABLE, `in_${port}`]);
}
