import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostStatus, type CoreDeps } from "@nvi/core";
import { randomIdentity } from "@nvi/core/test-support";
import { createCaller } from "./root.ts";
import { handleRest } from "./http.ts";
import {
  agentCall,
  headerContext,
  makeTenant,
  restAs,
  sessionContext,
  testDeps,
  type Tenant,
  json,
  agentFacts,
} from "./test-support/fixtures.ts";

let deps: CoreDeps;
let owner: Tenant;
let cloudId: string;

/** hosts of a Docker cloud */
const facts = (hostname: string, extra: Record<string, unknown> = {}) =>
  agentFacts(hostname, { runtimes: { docker: true, qemu: false, netns: true }, ...extra });

beforeAll(async () => {
  deps = testDeps();
  owner = await makeTenant(deps, "hana");
  cloudId = (
    await createCaller(sessionContext(deps, owner)).cloud.create({
      name: "lab-dc1",
      kind: "docker",
      region: "eu-west",
      datacenter: "dc1",
    })
  ).id;
});
afterAll(async () => {
  await deps.db.$disconnect();
});

const console_ = () => createCaller(sessionContext(deps, owner));

describe("host enrollment", () => {
  it("a one-off join token enrolls exactly one host, which then heartbeats and shows online", async () => {
    const { joinString, joinToken } = await console_().joinToken.create({
      cloudId,
      reusable: false,
      usageLimit: null,
      expiresInHours: 1,
    });
    expect(joinString).toMatch(/^nvj_[0-9A-Za-z]{36}@http:\/\/console\.test$/);
    const first = await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts("h1") });
    expect(first.status).toBe(200);
    const enrolled = await json(first);
    expect(enrolled.credential).toMatch(/^nvh_/);
    const second = await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts("h2") });
    expect(second.status).toBe(401);
    expect((await json(second)).message).toMatch(/used/);
    expect((await console_().joinToken.list({ cloudId })).find((t) => t.id === joinToken.id)?.status).toBe("used");

    // fabric addresses are unique console-wide and the database outlives a run: a fresh one each time
    const { fabricAddress } = randomIdentity();
    const beat = await agentCall(
      deps,
      "/agent/heartbeat",
      { facts: facts("h1", { fabricAddress }) },
      enrolled.credential,
    );
    expect(beat.status).toBe(200);
    const host = (await console_().host.list({ cloudId })).find((h) => h.id === enrolled.hostId)!;
    expect(host).toMatchObject({
      name: "h1",
      status: "online",
      facts: { fabricAddress, ovsVersion: "3.1.0" },
      identity: { fabricAddress },
    });
    expect((await console_().cloud.list()).find((c) => c.id === cloudId)?.hostCount).toBeGreaterThanOrEqual(1);
  });

  it("a reusable token stops at its limit; a duplicate hostname is refused without using up the token", async () => {
    const { joinString, joinToken } = await console_().joinToken.create({
      cloudId,
      reusable: true,
      usageLimit: 2,
      expiresInHours: 1,
    });
    expect((await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts("r1") })).status).toBe(200);
    const dup = await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts("r1") });
    expect(dup.status).toBe(409);
    expect((await deps.db.joinToken.findUniqueOrThrow({ where: { id: joinToken.id } })).uses).toBe(1);
    expect((await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts("r2") })).status).toBe(200);
    expect((await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts("r3") })).status).toBe(401);
  });

  it("revoked and expired tokens enroll nothing; malformed ones are refused before the database", async () => {
    const revoked = await console_().joinToken.create({ cloudId, reusable: true, usageLimit: null, expiresInHours: 1 });
    await console_().joinToken.revoke({ joinTokenId: revoked.joinToken.id });
    expect((await agentCall(deps, "/agent/enroll", { joinToken: revoked.joinString, facts: facts("x1") })).status).toBe(
      401,
    );
    const expired = await console_().joinToken.create({ cloudId, reusable: true, usageLimit: null, expiresInHours: 1 });
    await deps.db.joinToken.update({
      where: { id: expired.joinToken.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect((await agentCall(deps, "/agent/enroll", { joinToken: expired.joinString, facts: facts("x2") })).status).toBe(
      401,
    );
    const bad = await agentCall(deps, "/agent/enroll", { joinToken: "nvj_nope@http://x", facts: facts("x3") });
    expect(bad.status).toBe(401);
    expect((await json(bad)).message).toMatch(/malformed/);
    expect(
      (await agentCall(deps, "/agent/enroll", { joinToken: expired.joinString, facts: { hostname: "" } })).status,
    ).toBe(400);
  });

  it("removing a host revokes its credential at once; an empty cloud can then be deleted", async () => {
    const c = await console_().cloud.create({ name: "short-lived", kind: "vm", region: "eu", datacenter: "dc9" });
    const { joinString } = await console_().joinToken.create({
      cloudId: c.id,
      reusable: false,
      usageLimit: null,
      expiresInHours: 1,
    });
    const enrolled = await json(
      await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts("gone") }),
    );
    const notEmpty = await console_()
      .cloud.delete({ cloudId: c.id })
      .catch((e: Error) => e);
    expect(String(notEmpty)).toMatch(/still has host gone; remove the host first/);
    await console_().host.remove({ hostId: enrolled.hostId });
    expect((await agentCall(deps, "/agent/heartbeat", { facts: facts("gone") }, enrolled.credential)).status).toBe(401);
    expect(await console_().cloud.delete({ cloudId: c.id })).toEqual({ deleted: true });
  });

  it("duplicate cloud names are a conflict naming the field", async () => {
    const res = await handleRest(
      new Request("http://localhost/api/v1/clouds", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${owner.token}` },
        body: JSON.stringify({ name: "lab-dc1", kind: "docker", region: "eu-west", datacenter: "dc1" }),
      }),
      (req) => headerContext(deps, req.headers),
    );
    expect(res.status).toBe(409);
    expect((await json(res)).data).toMatchObject({ domainCode: "DUPLICATE_NAME", field: "name" });
  });
});

describe("gateway hosts (issue 15) over REST", () => {
  const post = (path: string, body: unknown) => restAs(deps, owner.token)("POST", path, body);

  it("a private or malformed public address is 400 naming the field; a taken one is 409 naming it; the host is unchanged", async () => {
    const { joinString } = await console_().joinToken.create({
      cloudId,
      reusable: false,
      usageLimit: null,
      expiresInHours: 1,
    });
    const enrolled = await json(await agentCall(deps, "/agent/enroll", { joinToken: joinString, facts: facts("gw1") }));
    for (const bad of ["10.0.0.1", "172.31.4.5", "100.64.1.11", "1.2.3", "gw.example.com"]) {
      const res = await post(`/hosts/${enrolled.hostId}/gateway`, { publicAddress: bad });
      expect(res.status, bad).toBe(400);
      expect((await json(res)).data, bad).toMatchObject({ domainCode: "VALIDATION_FAILED", field: "publicAddress" });
    }
    // unique across the console and the database outlives a run: a fresh documentation address each time
    const address = `203.0.113.${1 + Math.floor(Math.random() * 250)}`;
    await deps.db.host.updateMany({ where: { gatewayPublicAddress: address }, data: { gatewayPublicAddress: null } });
    expect((await post(`/hosts/${enrolled.hostId}/gateway`, { publicAddress: address })).status).toBe(200);
    const { joinString: second } = await console_().joinToken.create({
      cloudId,
      reusable: false,
      usageLimit: null,
      expiresInHours: 1,
    });
    const other = await json(await agentCall(deps, "/agent/enroll", { joinToken: second, facts: facts("gw2") }));
    const taken = await post(`/hosts/${other.hostId}/gateway`, { publicAddress: address });
    expect(taken.status).toBe(409);
    expect((await json(taken)).data).toMatchObject({ domainCode: "GATEWAY_ADDRESS_TAKEN", field: "publicAddress" });
    const hosts = await console_().host.list({ cloudId });
    expect(hosts.find((h) => h.id === other.hostId)?.gatewayPublicAddress).toBeNull();
    expect(hosts.find((h) => h.id === enrolled.hostId)?.gatewayPublicAddress).toBe(address);
  });
});

describe("host status from heartbeats", () => {
  it("is online, then stale, then offline", () => {
    const now = new Date("2026-11-26T12:00:00Z");
    const ago = (s: number) => new Date(now.getTime() - s * 1000);
    expect(hostStatus(ago(5), now)).toBe("online");
    expect(hostStatus(ago(45), now)).toBe("stale");
    expect(hostStatus(ago(600), now)).toBe("offline");
  });
});
