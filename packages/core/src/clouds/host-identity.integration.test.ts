import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { createCloud } from "./clouds.ts";
import { approveHostIdentity, approvedIdentityOf, auditable } from "./host-identity.ts";
import { authenticateHost, enrollHost, listHosts, recordHeartbeat } from "./hosts.ts";
import { createJoinToken } from "./join-tokens.ts";
import { freeIdentity, hostFacts, person } from "../test-support/kit.ts";
import type { HostFacts } from "@nvi/contracts";

/**
 * Issue 13, finding 1: a tenant's host claimed another organization's host facts in a heartbeat and
 * got them. Against the real Postgres, through the calls the agent's enroll and heartbeat make.
 */
let alice: Ctx;
let bob: Ctx;

const identity = () => freeIdentity(alice.db);
const facts = hostFacts;
const rnd = (n: number): number => Math.floor(Math.random() * n);

async function enroll(ctx: Ctx, name: string, extra: Partial<HostFacts> = {}) {
  const cloudId = (
    await createCloud(ctx, { name: `c-${name}-${rnd(1e6)}`, kind: "baremetal", region: "eu", datacenter: "dc1" })
  ).id;
  const jt = await createJoinToken(
    ctx,
    { cloudId, reusable: false, usageLimit: null, expiresInHours: 1 },
    "http://console.test",
  );
  return {
    cloudId,
    joinString: jt.joinString,
    enroll: () => enrollHost(ctx, { joinToken: jt.joinString, facts: facts(name, extra) }, null),
  };
}

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
  );
const beat = async (ctx: Ctx, credential: string, f: HostFacts) =>
  recordHeartbeat(ctx, await authenticateHost(ctx, credential), f);
const hostOf = async (ctx: Ctx, id: string) => (await listHosts(ctx, {})).find((h) => h.id === id)!;
const auditOf = (ctx: Ctx, hostId: string) =>
  ctx.db.auditEvent.findMany({
    where: { targetId: hostId, action: { startsWith: "host.identity" } },
    orderBy: { at: "asc" },
  });

beforeAll(async () => {
  alice = await person("ident-a");
  bob = await person("ident-b");
});
afterAll(async () => {
  await alice.db.$disconnect();
});

describe("host identity: claims are approved once, unique across organizations", () => {
  it("tenant B's heartbeat claiming each of tenant A's facts is refused (409), A is untouched, both sides audited", async () => {
    const mine = await identity();
    const a = await (await enroll(alice, "victim", mine)).enroll();
    expect(await approvedIdentityOf(alice, a.hostId)).toMatchObject({
      hostId: a.hostId,
      orgId: alice.actor.orgId,
      ...mine,
    });
    const b = await (await enroll(bob, "attacker")).enroll();
    const own = await identity();
    await beat(bob, b.credential, facts("attacker", own)); // its own facts: first claim, approved

    const theirs = await identity();
    for (const forged of [
      { datapathId: mine.datapathId },
      { fabricAddress: mine.fabricAddress },
      { fabricMac: mine.fabricMac },
      { instanceBlock: mine.instanceBlock },
      {
        instanceBlock: mine.instanceBlock
          .replace("/24", "/23")
          .replace(/\.(\d+)\.0\//, (_m, x: string) => `.${Number(x) & ~1}.0/`),
      },
    ]) {
      // a fresh host of B (nothing approved yet for that fact), and B's approved host changing its facts
      const fresh = await (await enroll(bob, `attacker-${rnd(1e6)}`)).enroll();
      expect(await codeOf(beat(bob, fresh.credential, facts("x", { ...theirs, ...forged })))).toBe(
        "HOST_IDENTITY_CONFLICT",
      );
      expect(await codeOf(beat(bob, b.credential, facts("attacker", { ...own, ...forged })))).toBe(
        "HOST_IDENTITY_CONFLICT",
      );
      expect((await hostOf(bob, fresh.hostId)).identityClaim?.reason).toMatch(
        /approved for a host of another organization/,
      );
      expect((await hostOf(bob, fresh.hostId)).identity.datapathId).toBeNull(); // nothing of the refused claim was taken
    }
    // the attack at enrollment: refused, no host made, the token not used up
    const atEnroll = await enroll(bob, "attacker-enroll", mine);
    expect(await codeOf(atEnroll.enroll())).toBe("HOST_IDENTITY_CONFLICT");
    expect(await bob.db.host.count({ where: { cloudId: atEnroll.cloudId } })).toBe(0);
    expect(
      await bob.db.auditEvent.count({
        where: { orgId: bob.actor.orgId, action: "host.identity.refused", targetType: "join_token" },
      }),
    ).toBe(1);

    expect(await approvedIdentityOf(alice, a.hostId)).toMatchObject(mine);
    expect((await hostOf(bob, b.hostId)).identity).toEqual(own);
    const claim = (await hostOf(bob, b.hostId)).identityClaim;
    expect(claim?.reason).toMatch(/changes approved facts|approved for a host of another organization/);
    expect((await auditOf(bob, b.hostId)).map((e) => e.action)).toContain("host.identity.refused");
    expect((await auditOf(alice, a.hostId)).map((e) => e.action)).toContain("host.identity.contested");
    expect(JSON.stringify(await auditOf(alice, a.hostId))).not.toContain(bob.actor.orgId); // the holder is told, never by whom
    // A's own heartbeats carry on
    expect((await beat(alice, a.credential, facts("victim", mine))).hostId).toBe(a.hostId);
  });

  it("two tenants' fresh hosts racing first claims of one identity: exactly one wins, the other waits for approval", async () => {
    const contested = await identity();
    const [x, y] = await Promise.all([
      (await enroll(alice, "race-a")).enroll(),
      (await enroll(bob, "race-b")).enroll(),
    ]);
    const results = await Promise.all([
      codeOf(beat(alice, x.credential, facts("race-a", contested))),
      codeOf(beat(bob, y.credential, facts("race-b", contested))),
    ]);
    expect(results.sort()).toEqual(["HOST_IDENTITY_CONFLICT", "ok"]);
    expect(await alice.db.host.count({ where: { datapathId: contested.datapathId } })).toBe(1);
    expect(
      await alice.db.host.count({ where: { id: { in: [x.hostId, y.hostId] }, identityProblem: { not: null } } }),
    ).toBe(1);
  });

  it("a heartbeat that changes an approved fact is refused and shown; an owner approves the change, only while unique", async () => {
    const before = await identity();
    const h = await (await enroll(alice, "reinstalled", before)).enroll();
    const after = { ...(await identity()), instanceBlock: before.instanceBlock };
    expect(await codeOf(beat(alice, h.credential, facts("reinstalled", after)))).toBe("HOST_IDENTITY_CONFLICT");
    const shown = await hostOf(alice, h.hostId);
    expect(shown.identity).toEqual(before);
    expect(shown.identityClaim).toMatchObject({
      identity: after,
      reason: expect.stringMatching(/datapath id .* → /) as unknown,
    });
    // a heartbeat only reporting what it could read (nulls) is no change
    expect((await beat(alice, h.credential, facts("reinstalled", { datapathId: before.datapathId }))).hostId).toBe(
      h.hostId,
    );
    expect(await codeOf(beat(alice, h.credential, facts("reinstalled", after)))).toBe("HOST_IDENTITY_CONFLICT");

    expect(
      await codeOf(approveHostIdentity({ ...alice, actor: { ...alice.actor, role: "member" } }, { hostId: h.hostId })),
    ).toBe("ROLE_TOO_LOW");
    expect(await codeOf(approveHostIdentity(bob, { hostId: h.hostId }))).toBe("NOT_FOUND");
    expect((await approveHostIdentity(alice, { hostId: h.hostId })).identity).toEqual(after);
    expect(await approvedIdentityOf(alice, h.hostId)).toMatchObject(after);
    expect((await beat(alice, h.credential, facts("reinstalled", after))).hostId).toBe(h.hostId);
    expect((await hostOf(alice, h.hostId)).identityClaim).toBeNull();
    expect(await codeOf(approveHostIdentity(alice, { hostId: h.hostId }))).toBe("NO_IDENTITY_CLAIM");
    const audit = await auditOf(alice, h.hostId);
    expect(audit.find((e) => e.action === "host.identity.approved")).toMatchObject({
      actorLabel: alice.actor.email,
      before: auditable(before),
      after: auditable(after),
    });

    // a change to a fact another organization's host holds cannot be approved
    const other = await identity();
    await (await enroll(bob, "holder", other)).enroll();
    expect(
      await codeOf(beat(alice, h.credential, facts("reinstalled", { ...after, fabricMac: other.fabricMac }))),
    ).toBe("HOST_IDENTITY_CONFLICT");
    expect(await codeOf(approveHostIdentity(alice, { hostId: h.hostId }))).toBe("HOST_IDENTITY_CONFLICT");
    expect(await approvedIdentityOf(alice, h.hostId)).toMatchObject(after);
  });
});
