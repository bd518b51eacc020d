import { GATEWAY_TUNNEL } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import {
  applyGateway,
  endpointToSet,
  gatewayRules,
  linksOf,
  networkOf,
  parseEndpoints,
  removeGateway,
} from "./gateway.ts";
import type { Runner } from "./runner.ts";

const KEY_A = "a".repeat(42) + "A=";
const KEY_B = "b".repeat(42) + "E=";

/** A host's commands as a list; `ip link show`/`wg show` answer from what was made, like the kernel. */
function host(
  o: {
    local?: string[];
    peers?: string[];
    routes?: string[];
    endpoints?: Record<string, string>;
    wgAddrs?: string[];
  } = {},
) {
  const ran: string[] = [];
  const made = new Set<string>();
  const run: Runner = (cmd, args) => {
    const line = `${cmd} ${args.join(" ")}`;
    ran.push(line);
    if (cmd === "ip" && args[0] === "link" && args[1] === "show")
      return made.has(args.at(-1) ?? "") ? Promise.resolve("") : Promise.reject(new Error("no such device"));
    if (cmd === "ip" && args[0] === "link" && args[1] === "add") made.add(args[2] ?? "");
    if (cmd === "wireguard-go") made.add(args[0] ?? "");
    if (cmd === "wg" && args[0] === "show") {
      if (!made.has(args[1] ?? "")) return Promise.reject(new Error("no such device"));
      if (args[2] !== "endpoints") return Promise.resolve("");
      const held = { ...Object.fromEntries((o.peers ?? []).map((k) => [k, "(none)"])), ...o.endpoints };
      return Promise.resolve(
        Object.entries(held)
          .map(([k, e]) => `${k}\t${e}`)
          .join("\n"),
      );
    }
    if (cmd === "ip" && args.join(" ").startsWith("-4 -o addr show dev "))
      return Promise.resolve((o.wgAddrs ?? []).map((a) => `7: nvi-wg0    inet ${a} scope global nvi-wg0`).join("\n"));
    if (cmd === "ip" && args.join(" ") === "-4 -o addr show")
      return Promise.resolve((o.local ?? []).map((a) => `2: wan0    inet ${a}/24 brd x scope global wan0`).join("\n"));
    if (cmd === "ip" && args[0] === "-4" && args[1] === "route") return Promise.resolve((o.routes ?? []).join("\n"));
    return Promise.resolve("");
  };
  return { run, ran };
}

const target = {
  bridge: "veb0",
  wgIf: "nvi-wg0",
  keyFile: "/s/wireguard.key",
  instanceBlock: "100.65.1.0/24",
  fabricNetwork: "100.64.1.0/24",
};
const peer = { publicKey: KEY_B, publicAddress: "203.0.113.103", allowedIps: "100.65.3.0/24" };

describe("the gateway's stack, as the agent sets it up", () => {
  it("forwards only between the tunnel port and WireGuard, clamps MSS, lets only WireGuard in from outside", () => {
    const rules = gatewayRules(target);
    expect(rules).toContain("policy drop;");
    expect(rules).toContain(`iifname "${GATEWAY_TUNNEL.stackIf}" oifname "nvi-wg0" accept`);
    expect(rules).toContain(`iifname "nvi-wg0" oifname "${GATEWAY_TUNNEL.stackIf}" accept`);
    expect(rules).toContain("tcp option maxseg size set 1380");
    expect(rules).toContain("ip saddr != 100.64.1.0/24 jump outside");
    expect(rules).toMatch(/chain outside \{\s+udp dport 51820 accept\s+ct state established,related accept\s+drop/);
    expect(() => gatewayRules({ ...target, wgIf: 'x" accept; #' })).toThrow(/interface name/);
  });

  it("makes the tunnel port, WireGuard with the host's key file and the peers; keepalive only behind NAT", async () => {
    const behindNat = host();
    expect(await applyGateway(behindNat.run, target, { publicAddress: "203.0.113.101", peers: [peer] })).toEqual({
      peers: 1,
      keepalive: true,
    });
    const ran = behindNat.ran.join("\n");
    expect(ran).toContain(`ovs-vsctl --may-exist add-port veb0 nvigw -- set interface nvigw ofport_request=4000`);
    expect(ran).toContain("wireguard-go nvi-wg0");
    expect(ran).toContain("wg set nvi-wg0 private-key /s/wireguard.key listen-port 51820");
    expect(ran).toContain(
      `wg set nvi-wg0 peer ${KEY_B} endpoint 203.0.113.103:51820 allowed-ips 100.65.3.0/24 persistent-keepalive 25`,
    );
    expect(ran).toContain("ip route replace 100.65.1.0/24 via 169.254.77.1 dev nvigk onlink");
    expect(ran).toContain("ip route replace 100.65.3.0/24 dev nvi-wg0");
    const publicHost = host({ local: ["203.0.113.101"] });
    expect(
      (await applyGateway(publicHost.run, target, { publicAddress: "203.0.113.101", peers: [peer] })).keepalive,
    ).toBe(false);
  });

  it("the tunnel address peers' probes ping: its block's last address on WireGuard, a stale one removed; only ICMP from the tunnel reaches the stack", async () => {
    const fresh = host();
    await applyGateway(fresh.run, target, { publicAddress: "203.0.113.101", peers: [peer] });
    expect(fresh.ran).toContain("ip addr add 100.65.1.255/32 dev nvi-wg0");
    const moved = host({ wgAddrs: ["100.65.9.255/32", "100.65.1.255/32"] });
    await applyGateway(moved.run, target, { publicAddress: "203.0.113.101", peers: [peer] });
    expect(moved.ran).toContain("ip addr del 100.65.9.255/32 dev nvi-wg0");
    expect(moved.ran).not.toContain("ip addr add 100.65.1.255/32 dev nvi-wg0");
    expect(gatewayRules(target)).toMatch(/chain input \{[^}]*iifname "nvi-wg0" meta l4proto != icmp drop/);
  });

  it("a peer the console no longer names is removed with its route; nothing else is", async () => {
    const h = host({ peers: [KEY_A, KEY_B], routes: ["100.65.9.0/24 scope link", "100.65.3.0/24 scope link"] });
    await applyGateway(h.run, target, { publicAddress: "203.0.113.101", peers: [peer] });
    expect(h.ran).toContain(`wg set nvi-wg0 peer ${KEY_A} remove`);
    expect(h.ran).not.toContain(`wg set nvi-wg0 peer ${KEY_B} remove`);
    expect(h.ran).toContain("ip route del 100.65.9.0/24 dev nvi-wg0");
    expect(h.ran).not.toContain("ip route del 100.65.3.0/24 dev nvi-wg0");
  });

  it("behind a port-rewriting NAT: an endpoint WireGuard learned survives every later heartbeat", async () => {
    const setsEndpoint = (ran: string[]) => ran.some((l) => l.startsWith(`wg set nvi-wg0 peer ${KEY_B} endpoint`));
    const endpoints = new Map<string, string>();
    const first = host({ local: ["203.0.113.101"] });
    await applyGateway(first.run, target, { publicAddress: "203.0.113.101", peers: [peer] }, endpoints);
    expect(setsEndpoint(first.ran)).toBe(true);
    // the peer dialled out through its NAT: WireGuard now holds the port the NAT chose
    const learned = host({ local: ["203.0.113.101"], endpoints: { [KEY_B]: "203.0.113.103:40123" } });
    await applyGateway(learned.run, target, { publicAddress: "203.0.113.101", peers: [peer] }, endpoints);
    expect(setsEndpoint(learned.ran)).toBe(false);
    expect(learned.ran).toContain(`wg set nvi-wg0 peer ${KEY_B} allowed-ips 100.65.3.0/24`);
    // the console moved the peer: its new address is set once
    const moved = { ...peer, publicAddress: "203.0.113.113" };
    await applyGateway(learned.run, target, { publicAddress: "203.0.113.101", peers: [moved] }, endpoints);
    expect(learned.ran).toContain(
      `wg set nvi-wg0 peer ${KEY_B} endpoint 203.0.113.113:51820 allowed-ips 100.65.3.0/24`,
    );
  });

  it("when to set an endpoint: new peer, console change, or after a restart one at another address", () => {
    const want = "203.0.113.103:51820";
    expect(endpointToSet(want, undefined, want)).toBe(true);
    expect(endpointToSet(want, "203.0.113.103:40123", want)).toBe(false);
    expect(endpointToSet(want, "203.0.113.103:40123", "203.0.113.99:51820")).toBe(true);
    expect(endpointToSet(want, "203.0.113.103:40123", undefined)).toBe(false);
    expect(endpointToSet(want, "198.51.100.7:40123", undefined)).toBe(true);
    expect(endpointToSet(want, null, undefined)).toBe(true);
    expect(parseEndpoints(`${KEY_A}\t(none)\n${KEY_B}\t203.0.113.103:40123\n`)).toEqual(
      new Map([
        [KEY_A, null],
        [KEY_B, "203.0.113.103:40123"],
      ]),
    );
  });

  it("no gateway any more: port, interface and rules go; a host that never was one runs nothing else", async () => {
    const was = host();
    await applyGateway(was.run, target, { publicAddress: "203.0.113.101", peers: [] });
    expect(await removeGateway(was.run, target)).toBe(true);
    expect(was.ran).toContain("ovs-vsctl --if-exists del-port veb0 nvigw");
    expect(was.ran).toContain("nft delete table inet nvi_gw");
    const never = host();
    expect(await removeGateway(never.run, target)).toBe(false);
    expect(never.ran.every((l) => l.startsWith("ip link show"))).toBe(true);
  });

  it("the fabric network of an address", () => {
    expect(networkOf("100.64.1.11", 24)).toBe("100.64.1.0/24");
    expect(networkOf("172.31.77.200", 20)).toBe("172.31.64.0/20");
  });
});

describe("the gateway's links, as reported in its facts", () => {
  it("each configured peer by its public address, with its last handshake and bytes; unknown peers and keys are left out", () => {
    const dump = [
      "PRIVATEKEY=\tPUBKEY=\t51820\toff",
      `${KEY_B}\t(none)\t203.0.113.103:51820\t100.65.3.0/24\t1764950000\t1200\t3400\t25`,
      `${KEY_A}\t(none)\t(none)\t100.65.9.0/24\t0\t0\t0\toff`,
    ].join("\n");
    const config = {
      publicAddress: "203.0.113.101",
      peers: [peer, { publicKey: KEY_A, publicAddress: "203.0.113.109", allowedIps: "100.65.9.0/24" }],
    };
    expect(linksOf(dump, config)).toEqual([
      { peerAddress: "203.0.113.103", lastHandshakeAt: "2025-12-05T15:53:20.000Z", rxBytes: 1200, txBytes: 3400 },
      { peerAddress: "203.0.113.109", lastHandshakeAt: null, rxBytes: 0, txBytes: 0 },
    ]);
    expect(linksOf(dump, { publicAddress: "203.0.113.101", peers: [] })).toEqual([]);
    expect(JSON.stringify(linksOf(dump, config))).not.toContain(KEY_B);
  });
});
