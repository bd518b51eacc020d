import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoreDeps } from "@nvi/core";
import { createCaller } from "./root.ts";
import { freeIdentity, randomWireguardKey } from "@nvi/core/test-support";
import {
  agentCall,
  makeTenant,
  restAs,
  sessionContext,
  testDeps,
  type Tenant,
  json,
  agentFacts,
} from "./test-support/fixtures.ts";

/**
 * Issue 13, finding 1 at the edge: what a hostile tenant's agent can send to /api/v1/agent/*.
 * Malformed facts are refused with 400 before anything is stored; another organization's facts with
 * 409; a host credential acts on its own host only.
 */

let deps: CoreDeps;
let alice: Tenant;
let bob: Tenant;

const rnd = (n: number): number => Math.floor(Math.random() * n);
const identity = () => freeIdentity(deps.db);
const facts = agentFacts;

const asTenant = (t: Tenant, method: string, path: string, body?: unknown) => restAs(deps, t.token)(method, path, body);

async function enrolled(
  t: Tenant,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<{ hostId: string; credential: string; joinString: string }> {
  const cloudId = (
    await createCaller(sessionContext(deps, t)).cloud.create({
      name: `c-${name}-${rnd(1e6)}`,
      kind: "baremetal",
      region: "eu",
      datacenter: "dc1",
    })
  ).id;
  const { joinString } = await createCaller(sessionContext(deps, t)).joinToken.create({
    cloudId,
    reusable: true,
    usageLimit: null,
    expiresInHours: 1,
  });
  const res = await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts(name, extra) });
  expect(res.status).toBe(200);
  const body = (await json(res)) as { hostId: string; credential: string };
  return { hostId: body.hostId, credential: body.credential, joinString };
}

beforeAll(async () => {
  deps = testDeps();
  alice = await makeTenant(deps, "id-alice");
  bob = await makeTenant(deps, "id-bob");
});
afterAll(async () => {
  await deps.db.$disconnect();
});

describe("agent facts at the edge", () => {
  it("malformed facts are refused with 400 on enroll and heartbeat, and nothing is stored", async () => {
    const host = await enrolled(bob, "malformed");
    const before = await deps.db.host.findUniqueOrThrow({ where: { id: host.hostId } });
    for (const bad of [
      { instanceBlock: "not-a-cidr" },
      { instanceBlock: "0.0.0.0/1" },
      { instanceBlock: "10.1.2.3/24" },
      { instanceBlock: "10.0.0.0/8" },
      { fabricAddress: "1.2.3.4'); DELETE FROM hosts; --" },
      { fabricAddress: "0.0.0.0" },
      { fabricAddress: "224.0.0.1" },
      { fabricMac: "01:00:5e:00:00:01" },
      { datapathId: "0000000000000000" },
      { fabricPrefixLen: 0 },
      { hostname: "evil\u0000host" },
      { kernel: "6.1\u0000" },
    ]) {
      const beat = await agentCall(deps, "/agent/heartbeat", { facts: facts("malformed", bad) }, host.credential);
      expect([JSON.stringify(bad), beat.status]).toEqual([JSON.stringify(bad), 400]);
      expect((await json(beat)).data.domainCode).toBe("VALIDATION_FAILED");
      const enroll = await agentCall(deps, "/agent/enroll", {
        joinToken: host.joinString,
        facts: facts(`m-${rnd(1e6)}`, bad),
      });
      expect(enroll.status).toBe(400);
    }
    const after = await deps.db.host.findUniqueOrThrow({ where: { id: host.hostId } });
    expect(after.facts).toEqual(before.facts);
    expect(after.lastSeenAt).toEqual(before.lastSeenAt);
  });

  it("a heartbeat with another organization's facts is 409 with the reason on the host; the victim's host is untouched", async () => {
    const mine = await identity();
    const victim = await enrolled(alice, "victim", mine);
    const attacker = await enrolled(bob, "attacker");
    const forged = await agentCall(deps, "/agent/heartbeat", { facts: facts("attacker", mine) }, attacker.credential);
    expect(forged.status).toBe(409);
    expect((await json(forged)).data.domainCode).toBe("HOST_IDENTITY_CONFLICT");
    const shown = (
      (await json(await asTenant(bob, "GET", "/hosts"))) as {
        id: string;
        identity: unknown;
        identityClaim: { reason: string } | null;
      }[]
    ).find((h) => h.id === attacker.hostId);
    expect(shown?.identityClaim?.reason).toMatch(/approved for a host of another organization/);
    expect(shown?.identity).toMatchObject({ datapathId: null, instanceBlock: null });
    const victimRow = (
      (await json(await asTenant(alice, "GET", "/hosts"))) as {
        id: string;
        identity: unknown;
        identityClaim: unknown;
      }[]
    ).find((h) => h.id === victim.hostId);
    expect(victimRow).toMatchObject({ identity: mine, identityClaim: null });
    // B cannot approve its way into A's facts
    const approve = await asTenant(bob, "POST", `/hosts/${attacker.hostId}/approve-identity`, {});
    expect(approve.status).toBe(409);
    expect(
      (await agentCall(deps, "/agent/heartbeat", { facts: facts("victim", mine) }, victim.credential)).status,
    ).toBe(200);
  });

  it("a heartbeat reporting another organization's WireGuard key is 409; the key stays with its host", async () => {
    const key = randomWireguardKey();
    const gateway = await enrolled(alice, "wg-holder", { wireguardPublicKey: key });
    const thief = await enrolled(bob, "wg-thief");
    const forged = await agentCall(
      deps,
      "/agent/heartbeat",
      { facts: facts("wg-thief", { wireguardPublicKey: key }) },
      thief.credential,
    );
    expect(forged.status).toBe(409);
    expect((await json(forged)).data.domainCode).toBe("HOST_IDENTITY_CONFLICT");
    const theirs = (
      (await json(await asTenant(alice, "GET", "/hosts"))) as { id: string; identity: { wireguardPublicKey: string } }[]
    ).find((h) => h.id === gateway.hostId);
    expect(theirs?.identity.wireguardPublicKey).toBe(key);
    // enrolling with it is refused as well
    const enroll = await agentCall(deps, "/agent/enroll", {
      joinToken: thief.joinString,
      facts: facts(`wg-${rnd(1e6)}`, { wireguardPublicKey: key }),
    });
    expect(enroll.status).toBe(409);
  });

  it("an owner approves a re-installed machine's new identity over REST; the agent's next heartbeat is accepted", async () => {
    const host = await enrolled(alice, "reinstall", await identity());
    const next = await identity();
    expect(
      (await agentCall(deps, "/agent/heartbeat", { facts: facts("reinstall", next) }, host.credential)).status,
    ).toBe(409);
    const approve = await asTenant(alice, "POST", `/hosts/${host.hostId}/approve-identity`, {});
    expect(approve.status).toBe(200);
    expect((await json(approve)).identity).toEqual(next);
    expect(
      (await agentCall(deps, "/agent/heartbeat", { facts: facts("reinstall", next) }, host.credential)).status,
    ).toBe(200);
  });

  it("a host credential acts on its own host only: another host's commands are neither delivered nor answerable", async () => {
    const a = await enrolled(alice, "cmd-a");
    const b = await enrolled(bob, "cmd-b");
    const commandId = `hcmd_${Date.now().toString(36)}${rnd(1e6)}`;
    await deps.db.hostCommand.create({
      data: {
        id: commandId,
        hostId: a.hostId,
        kind: "instance.remove",
        payload: { kind: "instance.remove", instanceId: "inst_x", runtime: "netns" },
      },
    });
    const polled = await json(await agentCall(deps, "/agent/commands", { inventory: [] }, b.credential));
    expect(polled.commands).toEqual([]);
    const answered = await agentCall(
      deps,
      `/agent/commands/${commandId}/result`,
      { result: { ok: true } },
      b.credential,
    );
    expect(answered.status).toBe(404);
    expect((await deps.db.hostCommand.findUniqueOrThrow({ where: { id: commandId } })).status).toBe("pending");
    // B's heartbeat names its own host, whatever facts it carries
    expect(
      (await json(await agentCall(deps, "/agent/heartbeat", { facts: facts("cmd-a") }, b.credential))).hostId,
    ).toBe(b.hostId);
    expect((await deps.db.host.findUniqueOrThrow({ where: { id: a.hostId } })).name).toBe("cmd-a");
  });
});
