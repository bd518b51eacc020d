import type { Runner } from "./runner.ts";

/**
 * Keeps the host side of an instance's interface (the veth of netns and Docker instances, the tap of
 * a VM) out of the host's own network stack: an instance reaches the VEB and nothing else.
 *
 * On the userspace (`netdev`) datapath Open vSwitch reads the interface through AF_PACKET, which
 * leaves every frame to the host kernel as well: unguarded, the host answers ARP for its addresses,
 * takes UDP/TCP/ICMP aimed at it and, with `ip_forward=1`, routes forged frames onto the fabric. An
 * nftables ingress base chain on the interface with policy drop runs after the AF_PACKET taps and
 * before the IP stack, so Open vSwitch still gets every frame and the kernel none (measured on kernel
 * 6.18). On the kernel (`system`) datapath Open vSwitch's rx_handler already takes frames from the
 * stack, and an ingress drop would run before it: there the chain is not set, the datapath is the guard.
 *
 * On both, the interface also gets settings that keep it out of the stack should a frame get
 * through (each measured with frames from an instance, no chain): no addresses; IPv6 off (no
 * link-local address, no neighbour discovery); `arp_ignore=8` (no ARP answers for any host address);
 * `rp_filter=1` (strict: nothing routes back through this interface, so every IPv4 packet with a
 * non-zero source is dropped before delivery or forwarding); `forwarding=0` (nothing received here
 * is routed, until someone writes `net.ipv4.ip_forward` again, which resets it: the chain and
 * rp_filter do not depend on it).
 */
export const GUARD_TABLE = "nvi_ports";

/** nftables names a chain per guarded interface (interface names are at most 15 characters). */
export const guardChain = (port: string): string => `in_${port}`;

/** The package that provides `nft`, named in the error when it is missing. */
const NFT_PACKAGE = "nftables";

const guardSysctls = (port: string): string[] => [
  `net.ipv6.conf.${port}.disable_ipv6=1`,
  `net.ipv4.conf.${port}.arp_ignore=8`,
  `net.ipv4.conf.${port}.rp_filter=1`,
  `net.ipv4.conf.${port}.forwarding=0`,
];

/** The bridge's datapath: `netdev` (userspace) or `system` (kernel; OVS's default when unset). */
export async function datapathOf(run: Runner, bridge: string): Promise<"netdev" | "system"> {
  const type = (await run("ovs-vsctl", ["get", "bridge", bridge, "datapath_type"])).trim().replace(/^"(.*)"$/, "$1");
  return type === "netdev" ? "netdev" : "system";
}

async function hasChain(run: Runner, port: string): Promise<boolean> {
  return run("nft", ["list", "chain", "netdev", GUARD_TABLE, guardChain(port)]).then(
    () => true,
    () => false,
  );
}

/**
 * Guards `port` before it joins `bridge` (idempotent: a retried plug finds it done). Fails closed:
 * when the guard cannot be set up the interface is taken down and the error says why, so the caller
 * does not plug a port the host's stack would see.
 */
export async function guardPort(run: Runner, bridge: string, port: string): Promise<{ chain: boolean }> {
  try {
    await run("ip", ["addr", "flush", "dev", port]);
    await run("sysctl", ["-q", "-w", ...guardSysctls(port)]);
    if ((await datapathOf(run, bridge)) !== "netdev") return { chain: false };
    // `nft add` leaves an identical table or chain alone: a retried plug changes nothing
    await run("nft", ["add", "table", "netdev", GUARD_TABLE]);
    await run("nft", [
      "add",
      "chain",
      "netdev",
      GUARD_TABLE,
      guardChain(port),
      `{ type filter hook ingress device "${port}" priority -500 ; policy drop ; }`,
    ]);
    return { chain: true };
  } catch (e) {
    await run("ip", ["link", "set", port, "down"]).catch(() => undefined);
    const why = (e as Error).message.trim().split("\n").slice(-2).join(" ");
    const hint = /ENOENT|No such file or directory/.test(why)
      ? ` (is ${NFT_PACKAGE} installed? apt-get install ${NFT_PACKAGE})`
      : "";
    throw new Error(
      `cannot keep port ${port} out of the host's network stack, so it is not plugged${hint}: ${why}. ` +
        `The guard needs the ${NFT_PACKAGE} package (nft) and a kernel with nftables netdev ingress hooks.`,
    );
  }
}

/**
 * Removes the guard's chain; a chain or device that is already gone is not an error. (A chain
 * outlives its device on kernel 6.18 and hooks a new device of the same name: it must go here.)
 */
export async function unguardPort(run: Runner, port: string): Promise<void> {
  if (!(await hasChain(run, port))) return;
  await run("nft", ["delete", "chain", "netdev", GUARD_TABLE, guardChain(port)]).catch(async (e: Error) => {
    if (await hasChain(run, port)) throw e;
  });
}
