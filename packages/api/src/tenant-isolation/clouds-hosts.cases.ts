import { expect } from "vitest";
import { assertNoLeak, expectCode, hostFacts, type IsolationCases } from "../test-support/tenant-isolation.ts";

/** Clouds, join tokens, hosts and the agent's own endpoints. */
export const cloudsHostsCases: IsolationCases = {
  procedures: {
    "cloud.list": async (c, w) => assertNoLeak(w, await c.cloud.list()),
    "cloud.create": async (c, w) =>
      assertNoLeak(
        w,
        await c.cloud.create({
          name: `b-${Math.random().toString(36).slice(2, 8)}`,
          kind: "vm",
          region: "us",
          datacenter: "nyc1",
        }),
      ),
    // hosts.integration's cloud-links case checks the same with another organization's live links
    "cloud.links": async (c, w) => assertNoLeak(w, await c.cloud.links()),
    // B neither reads A's gateways nor declares A's host a gateway, of A's cloud or of its own
    "cloud.gateways": (c, w) => expectCode(c.cloud.gateways({ cloudId: w.aCloudId }), "NOT_FOUND"),
    "cloud.addGateway": async (c, w) => {
      for (const cloudId of [w.aCloudId, w.bCloudId])
        await expectCode(
          c.cloud.addGateway({ cloudId, hostId: w.aHostId, publicAddress: "198.51.100.79", nat: "none" }),
          "NOT_FOUND",
        );
    },
    // B neither sets a link of A's clouds nor links its own cloud to one of A's
    "cloud.setLinkMode": async (c, w) => {
      for (const [cloudId, peerCloudId] of [
        [w.aCloudId, w.bCloudId],
        [w.bCloudId, w.aCloudId],
      ] as const)
        await expectCode(c.cloud.setLinkMode({ cloudId, peerCloudId, mode: "direct" }), "NOT_FOUND");
    },
    "cloud.removeGateway": async (c, w) => {
      for (const cloudId of [w.aCloudId, w.bCloudId])
        await expectCode(c.cloud.removeGateway({ cloudId, hostId: w.aHostId }), "NOT_FOUND");
    },
    "cloud.delete": (c, w) => expectCode(c.cloud.delete({ cloudId: w.aCloudId }), "NOT_FOUND"),
    // another tenant's registry is neither read, set nor cleared (nor is it told whether it has one)
    "cloud.registry": (c, w) => expectCode(c.cloud.registry({ cloudId: w.aCloudId }), "NOT_FOUND"),
    "cloud.setRegistry": (c, w) =>
      expectCode(
        c.cloud.setRegistry({ cloudId: w.aCloudId, server: "evil.example:5000", username: "b", password: "pw" }),
        "NOT_FOUND",
      ),
    "cloud.clearRegistry": (c, w) => expectCode(c.cloud.clearRegistry({ cloudId: w.aCloudId }), "NOT_FOUND"),
    "joinToken.list": (c, w) => expectCode(c.joinToken.list({ cloudId: w.aCloudId }), "NOT_FOUND"),
    "joinToken.create": (c, w) =>
      expectCode(
        c.joinToken.create({ cloudId: w.aCloudId, reusable: false, usageLimit: null, expiresInHours: 1 }),
        "NOT_FOUND",
      ),
    "joinToken.revoke": (c, w) => expectCode(c.joinToken.revoke({ joinTokenId: w.aJoinTokenId }), "NOT_FOUND"),
    "host.list": async (c, w) => {
      expect(await c.host.list({ cloudId: w.aCloudId })).toEqual([]);
      assertNoLeak(w, await c.host.list({}));
    },
    "host.page": async (c, w) => {
      expect((await c.host.page({ cloudId: w.aCloudId })).items).toEqual([]);
      assertNoLeak(w, await c.host.page({ search: "a-host" }));
    },
    // B's canvas: B's own cloud, none of A's clouds or hosts, and no count of A's instances
    "topology.get": async (c, w) => {
      const topology = await c.topology.get();
      assertNoLeak(w, topology);
      expect(topology.clouds.map((cl) => cl.id)).toContain(w.bCloudId);
      expect(topology.hosts.filter((h) => (h.instanceCount ?? 0) > 0)).toEqual([]);
    },
    "host.remove": (c, w) => expectCode(c.host.remove({ hostId: w.aHostId }), "NOT_FOUND"),
    "host.rotateCredential": (c, w) => expectCode(c.host.rotateCredential({ hostId: w.aHostId }), "NOT_FOUND"),
    "host.approveIdentity": (c, w) => expectCode(c.host.approveIdentity({ hostId: w.aHostId }), "NOT_FOUND"),
    "host.setGateway": (c, w) =>
      expectCode(c.host.setGateway({ hostId: w.aHostId, publicAddress: "198.51.100.77" }), "NOT_FOUND"),
    // Tenants' credentials are never host credentials, and a made-up join token enrolls nothing.
    "agent.enroll": (c) =>
      expectCode(c.agent.enroll({ joinToken: "nvj_" + "q".repeat(36), facts: hostFacts("b-host") }), "UNAUTHORIZED"),
    "agent.heartbeat": (c) => expectCode(c.agent.heartbeat({ facts: hostFacts("a-host-1") }), "UNAUTHORIZED"),
    // a tenant's token or session is never a host credential
    // a tenant's session or token is no host credential
    "agentSerial.wait": (c) => expectCode(c.agentSerial.wait({}), "UNAUTHORIZED"),
    "agentSerial.attach": (c) =>
      expectCode(c.agentSerial.attach({ sessionId: "ser_" + "x".repeat(32) }), "UNAUTHORIZED"),
    "agentCommand.poll": (c) => expectCode(c.agentCommand.poll({ inventory: [] }), "UNAUTHORIZED"),
    "agentCommand.result": (c) =>
      expectCode(c.agentCommand.result({ commandId: "hcmd_x", result: { ok: true } }), "UNAUTHORIZED"),
  },
  routes: {
    "GET /clouds": async (call, w) => assertNoLeak(w, await (await call("GET", "/clouds")).json()),
    "GET /cloud-links": async (call, w) => assertNoLeak(w, await (await call("GET", "/cloud-links")).json()),
    "POST /clouds": async (call, w) =>
      assertNoLeak(
        w,
        await (
          await call("POST", "/clouds", {
            name: `r-${Math.random().toString(36).slice(2, 8)}`,
            kind: "baremetal",
            region: "eu",
            datacenter: "ams1",
          })
        ).json(),
      ),
    "GET /clouds/{cloudId}/gateways": async (call, w) =>
      expect((await call("GET", `/clouds/${w.aCloudId}/gateways`)).status).toBe(404),
    "POST /clouds/{cloudId}/gateways": async (call, w) => {
      for (const cloudId of [w.aCloudId, w.bCloudId])
        expect(
          (await call("POST", `/clouds/${cloudId}/gateways`, { hostId: w.aHostId, publicAddress: "198.51.100.80" }))
            .status,
        ).toBe(404);
    },
    "PUT /clouds/{cloudId}/links/{peerCloudId}": async (call, w) => {
      for (const [cloudId, peer] of [
        [w.aCloudId, w.bCloudId],
        [w.bCloudId, w.aCloudId],
      ])
        expect((await call("PUT", `/clouds/${cloudId}/links/${peer}`, { mode: "direct" })).status).toBe(404);
    },
    "DELETE /clouds/{cloudId}/gateways/{hostId}": async (call, w) => {
      for (const cloudId of [w.aCloudId, w.bCloudId])
        expect((await call("DELETE", `/clouds/${cloudId}/gateways/${w.aHostId}`)).status).toBe(404);
    },
    "DELETE /clouds/{cloudId}": async (call, w) =>
      expect((await call("DELETE", `/clouds/${w.aCloudId}`)).status).toBe(404),
    "GET /clouds/{cloudId}/registry": async (call, w) =>
      expect((await call("GET", `/clouds/${w.aCloudId}/registry`)).status).toBe(404),
    "PUT /clouds/{cloudId}/registry": async (call, w) =>
      expect(
        (
          await call("PUT", `/clouds/${w.aCloudId}/registry`, {
            server: "evil.example:5000",
            username: "b",
            password: "p",
          })
        ).status,
      ).toBe(404),
    "DELETE /clouds/{cloudId}/registry": async (call, w) =>
      expect((await call("DELETE", `/clouds/${w.aCloudId}/registry`)).status).toBe(404),
    "GET /clouds/{cloudId}/join-tokens": async (call, w) =>
      expect((await call("GET", `/clouds/${w.aCloudId}/join-tokens`)).status).toBe(404),
    "POST /clouds/{cloudId}/join-tokens": async (call, w) =>
      expect((await call("POST", `/clouds/${w.aCloudId}/join-tokens`, { reusable: false })).status).toBe(404),
    "DELETE /join-tokens/{joinTokenId}": async (call, w) =>
      expect((await call("DELETE", `/join-tokens/${w.aJoinTokenId}`)).status).toBe(404),
    "GET /hosts": async (call, w) => assertNoLeak(w, await (await call("GET", `/hosts?cloudId=${w.aCloudId}`)).json()),
    "GET /search/hosts": async (call, w) =>
      assertNoLeak(w, await (await call("GET", `/search/hosts?cloudId=${w.aCloudId}&search=a-host`)).json()),
    "GET /topology": async (call, w) => {
      const res = await call("GET", "/topology");
      expect(res.status).toBe(200);
      assertNoLeak(w, await res.json());
    },
    "DELETE /hosts/{hostId}": async (call, w) => expect((await call("DELETE", `/hosts/${w.aHostId}`)).status).toBe(404),
    "POST /hosts/{hostId}/rotate-credential": async (call, w) =>
      expect((await call("POST", `/hosts/${w.aHostId}/rotate-credential`, {})).status).toBe(404),
    "POST /hosts/{hostId}/approve-identity": async (call, w) =>
      expect((await call("POST", `/hosts/${w.aHostId}/approve-identity`, {})).status).toBe(404),
    "POST /hosts/{hostId}/gateway": async (call, w) =>
      expect((await call("POST", `/hosts/${w.aHostId}/gateway`, { publicAddress: "198.51.100.78" })).status).toBe(404),
    "POST /agent/enroll": async (call) =>
      expect(
        (await call("POST", "/agent/enroll", { joinToken: "nvj_" + "r".repeat(36), facts: hostFacts("b") })).status,
      ).toBe(401),
    "POST /agent/heartbeat": async (call) =>
      expect((await call("POST", "/agent/heartbeat", { facts: hostFacts("a-host-1") })).status).toBe(401),
    "POST /agent/serial/wait": async (call) => expect((await call("POST", "/agent/serial/wait", {})).status).toBe(401),
    "POST /agent/serial/{sessionId}/attach": async (call) =>
      expect((await call("POST", `/agent/serial/ser_${"x".repeat(32)}/attach`, {})).status).toBe(401),
    "POST /agent/commands": async (call) =>
      expect((await call("POST", "/agent/commands", { inventory: [] })).status).toBe(401),
    "POST /agent/commands/{commandId}/result": async (call) =>
      expect((await call("POST", "/agent/commands/hcmd_x/result", { result: { ok: true } })).status).toBe(401),
  },
};
