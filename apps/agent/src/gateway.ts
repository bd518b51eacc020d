import { GATEWAY_TUNNEL as T, type GatewayConfig, type GatewayLink } from "@nvi/contracts";
import { tunnelAddressOf } from "./gateway-probe.ts";
import type { Runner } from "./runner.ts";
import type { WireguardWatch } from "./wireguard-watch.ts";

/**
 * A gateway host's stack (issue 15; packages/controller README, "Across clouds"), set up by the agent
 * from what the console answers (`HeartbeatResponse.gateway`): the VEB's tunnel port `nvigw` (a veth;
 * `nvigk` is its end in the host's stack, WireGuard being L3 cannot be an OVS port), wireguard-go with
 * the host's own key (`NVI_STATE_DIR/wireguard.key`, 0600, never sent), one peer per other gateway
 * (its approved key, public address, its instance block as allowed-ips), routes (own block → the
 * VEB, peers' blocks → WireGuard), forwarding only between `nvigk` and WireGuard with the TCP MSS
 * clamped, and from outside the host's fabric network only WireGuard and answers reach its stack.
 * Every step is idempotent: the heartbeat applies the whole state each time, except a peer's
 * endpoint, which is set only when the console's changes (what WireGuard learned behind a NAT stays).
 */

export interface GatewayTarget {
  bridge: string;
  /** the WireGuard interface (its UAPI socket /var/run/wireguard/<if>.sock is shared by all namespaces) */
  wgIf: string;
  /** the private key file, made by wireguard-key.ts */
  keyFile: string;
  /** this host's instance block (its leases at the gateway) */
  instanceBlock: string;
  /** this host's fabric network (CIDR): its own datacenter, which may still reach its services */
  fabricNetwork: string;
}

export const GATEWAY_TABLE = "nvi_gw";
/** The stack's next hop for its own block: a link-local address answered by a permanent neighbour entry (the VEB's end). */
export const VEB_HOP = "169.254.77.1";
/** WireGuard keepalive from behind NAT (the public address is not on this host): keeps the mapping open. */
export const KEEPALIVE_SECONDS = 25;

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;

/** The nftables table, one transaction (declare, delete, recreate: the old rules stay until the new ones are in). */
export function gatewayRules(t: Pick<GatewayTarget, "wgIf" | "fabricNetwork">): string {
  if (!IFNAME.test(t.wgIf)) throw new Error(`WireGuard interface ${JSON.stringify(t.wgIf)} is not an interface name`);
  if (!CIDR.test(t.fabricNetwork)) throw new Error(`fabric network ${JSON.stringify(t.fabricNetwork)} is not a CIDR`);
  const inner = `{ "lo", "${T.stackIf}", "${t.wgIf}" }`;
  return [
    `table inet ${GATEWAY_TABLE}`,
    `delete table inet ${GATEWAY_TABLE}`,
    `table inet ${GATEWAY_TABLE} {`,
    // forward only between the VEB's tunnel port and WireGuard; TCP never needs a fragmented datagram
    "  chain forward { type filter hook forward priority filter; policy drop;",
    `    tcp flags syn tcp option maxseg size > ${T.mss} tcp option maxseg size set ${T.mss}`,
    `    iifname "${T.stackIf}" oifname "${t.wgIf}" accept`,
    `    iifname "${t.wgIf}" oifname "${T.stackIf}" accept`,
    "  }",
    // the gateway's own services are not for the internet: from outside its fabric network only
    // WireGuard and answers to what the host opened (console, TSC) reach its stack
    "  chain input { type filter hook input priority filter; policy accept;",
    // the tunnel address (gateway-probe.ts) answers pings of peer gateways, nothing else
    `    iifname "${t.wgIf}" meta l4proto != icmp drop`,
    `    iifname != ${inner} ip saddr != ${t.fabricNetwork} jump outside`,
    `    iifname != ${inner} meta nfproto ipv6 jump outside`,
    "  }",
    "  chain outside {",
    `    udp dport ${T.listenPort} accept`,
    "    ct state established,related accept",
    "    drop",
    "  }",
    "}",
  ].join("\n");
}

const ok = (p: Promise<unknown>): Promise<boolean> =>
  p.then(
    () => true,
    () => false,
  );

/** Whether `address` is on one of this host's interfaces (a public gateway) or not (behind 1:1 NAT). */
async function addressIsLocal(run: Runner, address: string): Promise<boolean> {
  const out = await run("ip", ["-4", "-o", "addr", "show"]).catch(() => "");
  return out.split("\n").some((l) => l.includes(` ${address}/`));
}

/** `wg show <if> endpoints`: each peer's key → the endpoint WireGuard holds (null: none yet). */
export function parseEndpoints(out: string): Map<string, string | null> {
  const held = new Map<string, string | null>();
  for (const line of out.split("\n")) {
    const [key, endpoint] = line.trim().split(/\s+/);
    if (key) held.set(key, endpoint && endpoint !== "(none)" ? endpoint : null);
  }
  return held;
}

const hostOf = (endpoint: string): string => endpoint.slice(0, endpoint.lastIndexOf(":"));

/**
 * Whether the agent sets a peer's endpoint, given the configured one, what WireGuard holds
 * (undefined: no such peer) and what this agent last set (undefined: nothing since it started).
 * WireGuard moves a peer's endpoint to wherever its last authenticated packet came from: behind a
 * NAT that rewrites ports, the public side only ever learns the right port that way (the side
 * behind the NAT dials out and keeps the mapping with its keepalive). Setting the endpoint on every
 * heartbeat would undo that; it is set for a new peer, when the console's address for it changed,
 * and after an agent restart only when WireGuard holds none or one at another address.
 */
export function endpointToSet(
  configured: string,
  held: string | null | undefined,
  lastSet: string | undefined,
): boolean {
  if (held === undefined) return true;
  if (lastSet !== undefined) return lastSet !== configured;
  return held === null || hostOf(held) !== hostOf(configured);
}

/**
 * Sets the gateway up (or brings it to `config`): idempotent, run with every heartbeat answer that
 * names this host a gateway. `endpoints` is the agent's memory of the endpoints it set (peer key →
 * endpoint), kept between calls (see endpointToSet). Answers the peers' count and whether
 * keepalives are on.
 */
export async function applyGateway(
  run: Runner,
  t: GatewayTarget,
  config: GatewayConfig,
  endpoints: Map<string, string> = new Map(),
  /** the agent's watch on wireguard-go (wireguard-watch.ts): starts it as a watched child; absent: daemonized, unwatched */
  wireguard?: Pick<WireguardWatch, "ensure">,
): Promise<{ peers: number; keepalive: boolean }> {
  if (!IFNAME.test(t.wgIf) || !CIDR.test(t.instanceBlock)) throw new Error("bad gateway target");
  // the tunnel port: a veth, its VEB end at a fixed OpenFlow port
  if (!(await ok(run("ip", ["link", "show", "dev", T.vebIf])))) {
    await run("ip", ["link", "add", T.vebIf, "address", T.vebMac, "type", "veth", "peer", "name", T.stackIf]);
  }
  await run("ip", ["link", "set", T.stackIf, "address", T.stackMac, "mtu", "1500", "up"]);
  await run("ip", ["link", "set", T.vebIf, "mtu", "1500", "up"]);
  await run("ovs-vsctl", [
    "--may-exist",
    "add-port",
    t.bridge,
    T.vebIf,
    "--",
    "set",
    "interface",
    T.vebIf,
    `ofport_request=${T.ofport}`,
  ]);
  // wireguard-go daemonizes itself (its output to /dev/null), or the watch starts it detached: either
  // way the interface outlives an agent restart
  const running = await ok(run("wg", ["show", t.wgIf, "public-key"]));
  if (wireguard) await wireguard.ensure(t.wgIf, running);
  else if (!running) await run("wireguard-go", [t.wgIf]);
  await run("wg", ["set", t.wgIf, "private-key", t.keyFile, "listen-port", String(T.listenPort)]);
  await run("ip", ["link", "set", t.wgIf, "mtu", "1500", "up"]);
  // its tunnel address, what peers' link probes ping (gateway-probe.ts); a stale one (old block) goes
  const tunnelAddress = `${tunnelAddressOf(t.instanceBlock)}/32`;
  const held = (await run("ip", ["-4", "-o", "addr", "show", "dev", t.wgIf]).catch(() => ""))
    .split("\n")
    .flatMap((l) => /\sinet (\S+)/.exec(l)?.[1] ?? []);
  for (const a of held) if (a !== tunnelAddress) await run("ip", ["addr", "del", a, "dev", t.wgIf]);
  if (!held.includes(tunnelAddress)) await run("ip", ["addr", "add", tunnelAddress, "dev", t.wgIf]);
  const keepalive = !(await addressIsLocal(run, config.publicAddress));
  const wanted = new Set(config.peers.map((p) => p.publicKey));
  const peersHeld = parseEndpoints(await run("wg", ["show", t.wgIf, "endpoints"]).catch(() => ""));
  for (const key of peersHeld.keys()) {
    if (wanted.has(key)) continue;
    await run("wg", ["set", t.wgIf, "peer", key, "remove"]);
    endpoints.delete(key);
  }
  for (const p of config.peers) {
    const endpoint = `${p.publicAddress}:${T.listenPort}`;
    const set = endpointToSet(endpoint, peersHeld.get(p.publicKey), endpoints.get(p.publicKey));
    await run("wg", [
      "set",
      t.wgIf,
      "peer",
      p.publicKey,
      ...(set ? ["endpoint", endpoint] : []),
      "allowed-ips",
      p.allowedIps,
      ...(keepalive ? ["persistent-keepalive", String(KEEPALIVE_SECONDS)] : []),
    ]);
    endpoints.set(p.publicKey, endpoint);
  }
  // routes: its own block to the VEB, each peer's block into the tunnel; stale peer routes go
  await run("ip", ["neigh", "replace", VEB_HOP, "lladdr", T.vebMac, "dev", T.stackIf, "nud", "permanent"]);
  await run("ip", ["route", "replace", t.instanceBlock, "via", VEB_HOP, "dev", T.stackIf, "onlink"]);
  const blocks = new Set(config.peers.map((p) => p.allowedIps));
  const routed = (await run("ip", ["-4", "route", "show", "dev", t.wgIf]).catch(() => ""))
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((r) => CIDR.test(r));
  for (const r of routed) if (!blocks.has(r)) await run("ip", ["route", "del", r, "dev", t.wgIf]);
  for (const b of blocks) await run("ip", ["route", "replace", b, "dev", t.wgIf]);
  await run("sysctl", [
    "-qw",
    "net.ipv4.ip_forward=1",
    "net.ipv4.conf.all.rp_filter=1",
    "net.ipv4.conf.default.rp_filter=1",
  ]);
  await run("nft", [gatewayRules(t)]);
  return { peers: config.peers.length, keepalive };
}

/** The host is no gateway (any more): the tunnel, its routes and rules go. Idempotent. */
export async function removeGateway(run: Runner, t: Pick<GatewayTarget, "bridge" | "wgIf">): Promise<boolean> {
  const had = await ok(run("ip", ["link", "show", "dev", T.vebIf]));
  if (!had && !(await ok(run("ip", ["link", "show", "dev", t.wgIf])))) return false;
  await run("ovs-vsctl", ["--if-exists", "del-port", t.bridge, T.vebIf]).catch(() => undefined);
  await run("ip", ["link", "del", T.vebIf]).catch(() => undefined);
  // deleting the interface ends wireguard-go (it exits when its TUN device goes)
  await run("ip", ["link", "del", t.wgIf]).catch(() => undefined);
  await run("nft", ["delete", "table", "inet", GATEWAY_TABLE]).catch(() => undefined);
  return had;
}

/**
 * The links as WireGuard sees them (`wg show <if> dump`: the interface line, then per peer its key,
 * preshared key, endpoint, allowed-ips, latest handshake (s since the epoch, 0: never), rx, tx,
 * keepalive), named by the peer's public address from the config (keys are not reported).
 */
export function linksOf(dump: string, config: GatewayConfig): GatewayLink[] {
  const byKey = new Map(config.peers.map((p) => [p.publicKey, p.publicAddress]));
  return dump
    .split("\n")
    .slice(1)
    .map((l) => l.split("\t"))
    .flatMap(([key, , , , handshake, rx, tx]) => {
      const peerAddress = key ? byKey.get(key) : undefined;
      if (!peerAddress) return [];
      const at = Number(handshake);
      return [
        {
          peerAddress,
          lastHandshakeAt: at > 0 ? new Date(at * 1000).toISOString() : null,
          rxBytes: Number(rx) || 0,
          txBytes: Number(tx) || 0,
        },
      ];
    });
}

/** The network (CIDR) of a host's fabric address and prefix length, e.g. 100.64.1.11/24 → 100.64.1.0/24. */
export function networkOf(address: string, prefixLen: number): string {
  const v = address.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - prefixLen);
  const base = Math.floor(v / size) * size;
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".")}/${prefixLen}`;
}
