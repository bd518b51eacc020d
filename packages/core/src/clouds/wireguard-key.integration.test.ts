import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import {
  cloudWithHost,
  codeOf,
  freeGatewayAddresses,
  hostFacts,
  person,
  randomWireguardKey,
  type EnrolledHost,
} from "../test-support/kit.ts";
import { setHostGateway } from "./gateways.ts";
import { approveHostIdentity, approvedIdentityOf } from "./host-identity.ts";
import { listHosts, recordHeartbeat } from "./hosts.ts";

/**
 * Issue 15, before anything consumes it: a host's WireGuard public key is what other clouds'
 * gateways peer with, so it is an identity fact (host-identity.ts), not a heartbeat fact. Bound at
 * the first claim, unique across organizations, changed only by an owner or admin's approval, and
 * never written into the audit log. Real Postgres, through the agent's heartbeat.
 */
let alice: Ctx;
let bob: Ctx;
let hosts = 0;
/** gateway addresses are unique across every organization of the database: a /24 nobody holds yet */
let pub: (n: number) => string;

const host = (ctx: Ctx): Promise<EnrolledHost> => {
  hosts++;
  return cloudWithHost(ctx, { cloud: `wg${hosts}`, hostname: `wg-h${hosts}`, interconnect: "gateway" });
};
const beat = (h: EnrolledHost, key: string | null) =>
  recordHeartbeat(alice, h.host, hostFacts(h.host.name, { wireguardPublicKey: key }));
const approvedKey = async (h: EnrolledHost) => (await approvedIdentityOf(alice, h.hostId))?.wireguardPublicKey;

beforeAll(async () => {
  alice = await person("wg-a");
  bob = await person("wg-b");
  pub = await freeGatewayAddresses(alice.db, "198.52");
});
afterAll(async () => {
  await alice.db.$disconnect();
});

describe("a host's WireGuard public key is bound like its datapath id", () => {
  it("the first key a host reports is approved and shown; the gateway answers with it", async () => {
    const g = await host(alice);
    const key = randomWireguardKey();
    expect(await codeOf(beat(g, key))).toBe("ok");
    expect(await approvedKey(g)).toBe(key);
    expect((await listHosts(alice, {})).find((h) => h.id === g.hostId)?.identity.wireguardPublicKey).toBe(key);
    const set = await setHostGateway(alice, { hostId: g.hostId, publicAddress: pub(hosts) });
    expect(set.wireguardPublicKey).toBe(key);
  });

  it("a host of another organization reporting a gateway's key is refused (409); the gateway keeps it", async () => {
    const g = await host(alice);
    const key = randomWireguardKey();
    await beat(g, key);
    const thief = await host(bob);
    expect(
      await codeOf(recordHeartbeat(bob, thief.host, hostFacts(thief.host.name, { wireguardPublicKey: key }))),
    ).toMatch(/^HOST_IDENTITY_CONFLICT/);
    const shown = (await listHosts(bob, {})).find((h) => h.id === thief.hostId);
    expect(shown?.identity.wireguardPublicKey).toBeNull();
    expect(shown?.identityClaim?.reason).toMatch(/WireGuard public key is approved for a host of another organization/);
    // nor can its admin approve its way into the key
    expect(await codeOf(approveHostIdentity(bob, { hostId: thief.hostId }))).toMatch(/^HOST_IDENTITY_CONFLICT/);
    expect(await approvedKey(g)).toBe(key);
    expect(await codeOf(beat(g, key))).toBe("ok");
  });

  it("another host of the same organization reporting the key is refused too", async () => {
    const [g, other] = [await host(alice), await host(alice)];
    const key = randomWireguardKey();
    await beat(g, key);
    expect(await codeOf(beat(other, key))).toMatch(/^HOST_IDENTITY_CONFLICT/);
    expect((await listHosts(alice, {})).find((h) => h.id === other.hostId)?.identityClaim?.reason).toMatch(
      /WireGuard public key is approved for host wg-h\d+/,
    );
    expect(await approvedKey(other)).toBeNull();
  });

  it("a different key later is refused until an owner approves it; then the new key is the host's", async () => {
    const g = await host(alice);
    const [first, second] = [randomWireguardKey(), randomWireguardKey()];
    await beat(g, first);
    expect(await codeOf(beat(g, second))).toMatch(/^HOST_IDENTITY_CONFLICT/);
    expect(await approvedKey(g)).toBe(first);
    // a heartbeat without a key (not readable now) is no change
    expect(await codeOf(beat(g, null))).toBe("ok");
    expect(await codeOf(beat(g, second))).toMatch(/^HOST_IDENTITY_CONFLICT/);
    const approved = await approveHostIdentity(alice, { hostId: g.hostId });
    expect(approved.identity.wireguardPublicKey).toBe(second);
    expect(await codeOf(beat(g, second))).toBe("ok");
    expect(await approvedKey(g)).toBe(second);
    // the old key is free again: another host may claim it
    const next = await host(alice);
    expect(await codeOf(beat(next, first))).toBe("ok");
  });

  it("keys never reach the audit log (a fingerprint stands in)", async () => {
    const g = await host(alice);
    const [first, second] = [randomWireguardKey(), randomWireguardKey()];
    await beat(g, first);
    await beat(g, second).catch(() => undefined);
    await approveHostIdentity(alice, { hostId: g.hostId });
    const events = await alice.db.auditEvent.findMany({ where: { targetId: g.hostId } });
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(["host.identity.claimed", "host.identity.refused", "host.identity.approved"]),
    );
    const text = JSON.stringify(events);
    expect(text).not.toContain(first);
    expect(text).not.toContain(second);
    expect(text).toMatch(/sha256:[0-9a-f]{12}/);
  });
});
