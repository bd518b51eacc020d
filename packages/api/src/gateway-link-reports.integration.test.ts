import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenForLinkChanges, tunnelReports, type CoreDeps } from "@nvi/core";
import { freeGatewayAddresses } from "@nvi/core/test-support";
import { createCaller } from "./root.ts";
import {
  agentCall,
  agentFacts,
  json,
  makeTenant,
  restAs,
  sessionContext,
  testDeps,
  type Tenant,
} from "./test-support/fixtures.ts";

/**
 * Issue 15: a gateway's link verdicts (`up`, from its agent's close watch) on their way to the TSC,
 * through the real API and Postgres. A heartbeat that changes them announces the host's
 * organization (LISTEN nvi_gateway_links) as it commits; the worker's read (`tunnelReports`) binds
 * each verdict to the host that sent it and finds its peer among that organization's gateways only.
 */
let deps: CoreDeps;
let owner: Tenant;
let stranger: Tenant;
let pub: (n: number) => string;
const announced: string[] = [];
let channel: { close(): Promise<void> };

beforeAll(async () => {
  deps = testDeps();
  owner = await makeTenant(deps, "tunnels");
  stranger = await makeTenant(deps, "tunnels-other");
  pub = await freeGatewayAddresses(deps.db, "198.54");
  await new Promise<void>((listening) => {
    channel = listenForLinkChanges(
      process.env.DATABASE_URL!,
      // only this file's two organizations: other files' gateways share the database and the channel
      (orgId) => [owner.orgId, stranger.orgId].includes(orgId) && announced.push(orgId),
      () => undefined,
      listening,
    );
  });
});
afterAll(async () => {
  await channel.close();
  await deps.db.$disconnect();
});

const tag = () => Math.random().toString(36).slice(2, 8);
const randomDpid = () =>
  Array.from({ length: 16 }, (_, i) => (i === 0 ? "a" : Math.floor(Math.random() * 16).toString(16))).join("");

/** A gateway cloud of `t` with one enrolled host (its datapath id approved at enrollment) made its gateway at `address`. */
async function gateway(t: Tenant, name: string, address: string) {
  const c = createCaller(sessionContext(deps, t));
  const cloudId = (
    await c.cloud.create({ name, kind: "baremetal", region: "eu", datacenter: name, interconnect: "gateway" })
  ).id;
  const { joinString } = await c.joinToken.create({ cloudId, reusable: false, usageLimit: null, expiresInHours: 1 });
  const hostname = `gw-${name}`;
  const datapathId = randomDpid();
  const enrolled = await json(
    await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: agentFacts(hostname, { datapathId }) }),
  );
  const set = await restAs(deps, t.token)("POST", `/hosts/${enrolled.hostId}/gateway`, { publicAddress: address });
  expect(set.status).toBe(200);
  return { hostname, datapathId, hostId: enrolled.hostId as string, credential: enrolled.credential as string };
}

const verdict = (peerAddress: string, up: boolean | undefined) => ({
  peerAddress,
  lastHandshakeAt: new Date().toISOString(),
  rxBytes: 1,
  txBytes: 1,
  ...(up === undefined ? {} : { up }),
});
const beat = (gw: { hostname: string; datapathId: string; credential: string }, links: unknown, extra = {}) =>
  agentCall(
    deps,
    "/agent/heartbeat",
    { facts: agentFacts(gw.hostname, { datapathId: gw.datapathId, gatewayLinks: links, ...extra }) },
    gw.credential,
  );
const settle = () => new Promise((r) => setTimeout(r, 300));
const since = () => new Date(Date.now() - 60_000);

describe("gateway link verdicts reach the worker", () => {
  it("a change is announced for the host's organization as it commits, a repeat is not; the verdict is read bound to its host", async () => {
    const t = tag();
    const a = await gateway(owner, `ta${t}`, pub(1));
    const b = await gateway(owner, `tb${t}`, pub(2));
    announced.length = 0;
    expect((await beat(a, [verdict(pub(2), true)])).status).toBe(200);
    await settle();
    expect(announced).toEqual([owner.orgId]);
    // the same verdicts again (an ordinary heartbeat): nothing announced
    expect((await beat(a, [verdict(pub(2), true)])).status).toBe(200);
    await settle();
    expect(announced).toEqual([owner.orgId]);
    expect((await beat(a, [verdict(pub(2), false)])).status).toBe(200);
    await settle();
    expect(announced).toEqual([owner.orgId, owner.orgId]);
    const reports = await tunnelReports(deps, since());
    expect(reports.filter((r) => r.from === a.datapathId)).toEqual([
      { from: a.datapathId, peer: b.datapathId, up: false },
    ]);
    // a link not judged yet is no report
    expect((await beat(b, [verdict(pub(1), undefined)])).status).toBe(200);
    expect((await tunnelReports(deps, since())).filter((r) => r.from === b.datapathId)).toEqual([]);
  });

  it("another organization's gateway naming this one's gateways is bound to itself and names nobody", async () => {
    const t = tag();
    const a = await gateway(owner, `tc${t}`, pub(3));
    const b = await gateway(owner, `td${t}`, pub(4));
    const s = await gateway(stranger, `te${t}`, pub(5));
    expect((await beat(a, [verdict(pub(4), true)])).status).toBe(200);
    expect((await beat(b, [verdict(pub(3), true)])).status).toBe(200);
    announced.length = 0;
    // the stranger declares its "links" to both of the owner's gateways down
    expect((await beat(s, [verdict(pub(3), false), verdict(pub(4), false)])).status).toBe(200);
    await settle();
    expect(announced).toEqual([stranger.orgId]);
    const reports = await tunnelReports(deps, since());
    expect(reports.filter((r) => r.from === s.datapathId || r.peer === s.datapathId)).toEqual([]);
    const mine = reports.filter((r) => [a.datapathId, b.datapathId].includes(r.from));
    expect(mine).toEqual(
      expect.arrayContaining([
        { from: a.datapathId, peer: b.datapathId, up: true },
        { from: b.datapathId, peer: a.datapathId, up: true },
      ]),
    );
    expect(mine.every((r) => r.up)).toBe(true);
    // nor can it speak as the owner's gateway: claiming its datapath id is refused, nothing recorded
    const posing = await beat({ ...s, datapathId: a.datapathId }, [verdict(pub(4), false)]);
    expect(posing.status).toBe(409);
    const after = await tunnelReports(deps, since());
    expect(after.filter((r) => r.from === a.datapathId).every((r) => r.up)).toBe(true);
  });
});

describe("facts from a newer agent", () => {
  it("unknown top-level facts are dropped, not refused (upgrade order); known ones stay strictly checked", async () => {
    const t = tag();
    const a = await gateway(owner, `tf${t}`, pub(6));
    const newer = await beat(a, null, { solarFlux: { level: 3 }, tomorrow: "x".repeat(200) });
    expect(newer.status).toBe(200);
    const row = await deps.db.host.findUniqueOrThrow({ where: { id: a.hostId }, select: { facts: true } });
    expect(Object.keys(row.facts as object)).not.toContain("solarFlux");
    expect(Object.keys(row.facts as object)).not.toContain("tomorrow");
    const bad = await beat(a, null, { solarFlux: 1, cpus: 0 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await json(bad))).toContain("cpus");
  });
});
