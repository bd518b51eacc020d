import type { GatewayLink } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { BOTH_BEHIND_NAPT, ageInWords, summarizeCloudLinks, type LinkGateway } from "./cloud-links.ts";

const now = new Date("2026-12-05T12:00:00Z");
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const clouds = [
  { id: "cloud_b", name: "office" },
  { id: "cloud_a", name: "aws" },
];
const link = (peerAddress: string, handshakeAgo: number | null, m: Partial<GatewayLink> = {}): GatewayLink => ({
  peerAddress,
  lastHandshakeAt: handshakeAgo === null ? null : ago(handshakeAgo).toISOString(),
  rxBytes: 1,
  txBytes: 1,
  ...m,
});
const measured = (rttMs: number | null, pathMtu: number | null, measuredAgo = 3): Partial<GatewayLink> => ({
  rttMs,
  pathMtu,
  tunnelMtu: 1500,
  measuredAt: ago(measuredAgo).toISOString(),
});
const gw = (o: Partial<LinkGateway> & Pick<LinkGateway, "id" | "cloudId" | "publicAddress">): LinkGateway => ({
  name: o.id,
  status: "online",
  lastSeenAt: ago(5),
  links: [],
  ...o,
});
const A = "203.0.113.7";
const B = "198.51.100.9";

describe("the link between two gateway clouds", () => {
  it("encrypted when both ends report a fresh handshake: RTT the mean of both ends, path MTU the smaller", () => {
    const [l] = summarizeCloudLinks(
      clouds,
      [
        gw({ id: "gw-a", cloudId: "cloud_a", publicAddress: A, links: [link(B, 30, measured(2, 1500))] }),
        gw({ id: "gw-b", cloudId: "cloud_b", publicAddress: B, links: [link(A, 40, measured(3, 1420))] }),
      ],
      now,
    );
    expect(l).toMatchObject({
      a: { name: "aws" },
      b: { name: "office" },
      state: "encrypted",
      reason: null,
      rttMs: 2.5,
      pathMtu: 1420,
      tunnelMtu: 1500,
    });
  });

  it("down, saying which gateway has had no handshake with which address for how long", () => {
    const gateways = [
      gw({ id: "gw-a", cloudId: "cloud_a", publicAddress: A, links: [link(B, 240, measured(2, 1500))] }),
      gw({ id: "gw-b", cloudId: "cloud_b", publicAddress: B, links: [link(A, 240)] }),
    ];
    const [l] = summarizeCloudLinks(clouds, gateways, now);
    expect(l).toMatchObject({ state: "down", rttMs: null, pathMtu: null });
    expect(l?.reason).toBe(
      `no WireGuard handshake from gw-a to ${B} for 4 min; no WireGuard handshake from gw-b to ${A} for 4 min`,
    );
    const never = summarizeCloudLinks(clouds, [gateways[0]!, { ...gateways[1]!, links: [link(A, null)] }], now)[0];
    expect(never?.reason).toContain(`no WireGuard handshake from gw-b to ${A} yet`);
    // one end fresh is not enough: both must say so
    const oneSided = summarizeCloudLinks(clouds, [{ ...gateways[0]!, links: [link(B, 5)] }, gateways[1]!], now)[0];
    expect(oneSided?.state).toBe("down");
  });

  it("an offline gateway is the reason, whatever its stale report says", () => {
    const [l] = summarizeCloudLinks(
      clouds,
      [
        gw({ id: "gw-a", cloudId: "cloud_a", publicAddress: A, links: [link(B, 30)] }),
        gw({
          id: "gw-b",
          cloudId: "cloud_b",
          publicAddress: B,
          status: "offline",
          lastSeenAt: ago(600),
          links: [link(A, 30)],
        }),
      ],
      now,
    );
    expect(l).toMatchObject({ state: "down", reason: "gateway host gw-b is offline (last heartbeat 10 min ago)" });
  });

  it("a gateway without a tunnel to the other (its key not approved yet, say) is named", () => {
    const [l] = summarizeCloudLinks(
      clouds,
      [
        gw({ id: "gw-a", cloudId: "cloud_a", publicAddress: A, links: null }),
        gw({ id: "gw-b", cloudId: "cloud_b", publicAddress: B, links: [link(A, 30)] }),
      ],
      now,
    );
    expect(l?.reason).toBe(`gw-a reports no tunnel to gw-b (${B})`);
  });

  it("no-gateway naming the cloud (or both) without one", () => {
    const one = summarizeCloudLinks(clouds, [gw({ id: "gw-a", cloudId: "cloud_a", publicAddress: A })], now)[0];
    expect(one).toMatchObject({ state: "no-gateway", reason: "cloud office has no gateway host", tunnels: [] });
    expect(summarizeCloudLinks(clouds, [], now)[0]?.reason).toBe("clouds aws and office have no gateway host");
  });

  it("several gateways: encrypted through the fastest live tunnel; old or future-dated measurements are not shown", () => {
    const A2 = "203.0.113.8";
    const gateways = [
      gw({ id: "gw-a1", cloudId: "cloud_a", publicAddress: A, links: [link(B, 30, measured(9, 1500))] }),
      gw({ id: "gw-a2", cloudId: "cloud_a", publicAddress: A2, links: [link(B, 30, measured(1, 1500))] }),
      gw({ id: "gw-b", cloudId: "cloud_b", publicAddress: B, links: [link(A, 30), link(A2, 30)] }),
    ];
    const [l] = summarizeCloudLinks(clouds, gateways, now);
    expect(l).toMatchObject({ state: "encrypted", rttMs: 1, pathMtu: 1500 });
    expect(l?.tunnels.map((t) => [t.a.name, t.state])).toEqual([
      ["gw-a1", "encrypted"],
      ["gw-a2", "encrypted"],
    ]);
    const stale = [{ ...gateways[0]!, links: [link(B, 30, measured(9, 1500, 300))] }, gateways[2]!];
    expect(summarizeCloudLinks(clouds, stale, now)[0]).toMatchObject({
      state: "encrypted",
      rttMs: null,
      pathMtu: null,
    });
    const future = [{ ...gateways[0]!, links: [link(B, 30, measured(9, 1500, -3600))] }, gateways[2]!];
    expect(summarizeCloudLinks(clouds, future, now)[0]).toMatchObject({ rttMs: null, pathMtu: null });
  });

  it("both ends behind port-rewriting NAT: down, saying neither can reach the other and what to do", () => {
    const napt = (g: LinkGateway): LinkGateway => ({ ...g, nat: "port-rewriting" });
    const a = gw({ id: "gw-a", cloudId: "cloud_a", publicAddress: A, links: [link(B, null)] });
    const b = gw({ id: "gw-b", cloudId: "cloud_b", publicAddress: B, links: [link(A, null)] });
    const [l] = summarizeCloudLinks(clouds, [napt(a), napt(b)], now);
    expect(l).toMatchObject({ state: "down", reason: BOTH_BEHIND_NAPT });
    expect(BOTH_BEHIND_NAPT).toBe(
      "both gateways are behind port-rewriting NAT: neither can reach the other; give one of them a public address or a 1:1 NAT",
    );
    expect(l?.tunnels[0]?.reason).toBe(BOTH_BEHIND_NAPT);
    // one of them reachable (1:1 NAT, or no NAT): the ends' own reports are the reason again
    const oneReachable = summarizeCloudLinks(clouds, [napt(a), { ...b, nat: "one-to-one" }], now)[0];
    expect(oneReachable?.reason).toBe(
      `no WireGuard handshake from gw-a to ${B} yet; no WireGuard handshake from gw-b to ${A} yet`,
    );
    // a fresh handshake anyway (the declaration was wrong): the measurement wins
    const met = summarizeCloudLinks(
      clouds,
      [napt({ ...a, links: [link(B, 5)] }), napt({ ...b, links: [link(A, 5)] })],
      now,
    );
    expect(met[0]).toMatchObject({ state: "encrypted", reason: null });
    // several gateways: said once, for the link, when every pair is NAT-bound
    const a2 = napt(gw({ id: "gw-a2", cloudId: "cloud_a", publicAddress: "203.0.113.8", links: [link(B, null)] }));
    const both = summarizeCloudLinks(
      clouds,
      [napt(a), a2, napt({ ...b, links: [link(A, null), link(a2.publicAddress, null)] })],
      now,
    );
    expect(both[0]).toMatchObject({ state: "down", reason: BOTH_BEHIND_NAPT });
    expect(both[0]?.tunnels).toHaveLength(2);
  });

  it("every pair of three clouds, ordered by name", () => {
    const three = [...clouds, { id: "cloud_c", name: "colo" }];
    expect(summarizeCloudLinks(three, [], now).map((l) => `${l.a.name}-${l.b.name}`)).toEqual([
      "aws-colo",
      "aws-office",
      "colo-office",
    ]);
  });
});

describe("a trusted direct link", () => {
  const direct = new Set(["cloud_a|cloud_b"]);
  const both = [
    gw({ id: "gw-a", cloudId: "cloud_a", publicAddress: A }),
    gw({ id: "gw-b", cloudId: "cloud_b", publicAddress: B }),
  ];

  it("is direct, whatever its tunnels say, while each cloud has a gateway online (the interconnect is not measured)", () => {
    const [l] = summarizeCloudLinks(clouds, both, now, direct);
    expect(l).toMatchObject({ mode: "direct", state: "direct", reason: null, rttMs: null, pathMtu: null });
    expect(l?.tunnels).toHaveLength(1);
    expect(summarizeCloudLinks(clouds, both, now)[0]).toMatchObject({ mode: "encrypted", state: "down" });
  });

  it("is down, naming the cloud, when none of a cloud's gateways is online", () => {
    const [l] = summarizeCloudLinks(clouds, [both[0]!, { ...both[1]!, status: "offline" }], now, direct);
    expect(l).toMatchObject({
      mode: "direct",
      state: "down",
      reason: "no gateway host of cloud office is online (gw-b offline)",
    });
  });
});

describe("ages in words", () => {
  it("seconds, minutes, hours, days", () => {
    expect([ageInWords(35_000), ageInWords(240_000), ageInWords(3 * 3600_000), ageInWords(3 * 86_400_000)]).toEqual([
      "35 s",
      "4 min",
      "3 h",
      "3 days",
    ]);
  });
});
