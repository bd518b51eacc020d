import { expect } from "vitest";
import { assertNoLeak, expectCode, type IsolationCases } from "../test-support/tenant-isolation.ts";

/** Security groups, rules, denies, peerings and the policy views. */
export const policyCases: IsolationCases = {
  procedures: {
    "group.list": async (c, w) => {
      assertNoLeak(w, await c.group.list({}));
      expect(await c.group.list({ vpcId: w.aVpcId })).toEqual([]);
    },
    "group.create": (c, w) => expectCode(c.group.create({ vpcId: w.aVpcId, name: "bobs" }), "NOT_FOUND"),
    "group.update": (c, w) => expectCode(c.group.update({ groupId: w.aGroupId, name: "bobs" }), "NOT_FOUND"),
    "group.delete": (c, w) => expectCode(c.group.delete({ groupId: w.aGroupId }), "NOT_FOUND"),
    "rule.list": async (c, w) => assertNoLeak(w, await c.rule.list({})),
    "rule.create": (c, w) => expectCode(c.rule.create({ srcGroupId: w.aGroupId, dstGroupId: w.aGroupId }), "NOT_FOUND"),
    "rule.update": (c, w) => expectCode(c.rule.update({ ruleId: w.aRuleId, enabled: false }), "NOT_FOUND"),
    "rule.delete": (c, w) => expectCode(c.rule.delete({ ruleId: w.aRuleId }), "NOT_FOUND"),
    "deny.list": async (c, w) => assertNoLeak(w, await c.deny.list()),
    "deny.create": async (c, w) =>
      assertNoLeak(w, await c.deny.create({ srcLabels: { env: "b" }, dstLabels: {}, preview: true })),
    "deny.delete": (c, w) => expectCode(c.deny.delete({ denyId: w.aDenyId }), "NOT_FOUND"),
    "peering.list": async (c, w) => assertNoLeak(w, await c.peering.list()),
    // asking to peer with another tenant's VPC is allowed (it waits for their yes); whether their range
    // overlaps yours is not said before then (the same pending answer either way, preview included)
    "peering.request": async (c, w) => {
      const overlapping = await c.vpc.create({
        name: `b-${Math.random().toString(36).slice(2, 8)}`,
        cidr: "10.99.0.0/16",
        allowOverlap: true,
      });
      const apart = await c.vpc.create({
        name: `b-${Math.random().toString(36).slice(2, 8)}`,
        cidr: "10.31.0.0/16",
        allowOverlap: true,
      });
      const previews = [
        await c.peering.request({ vpcId: overlapping.id, peerVpcId: w.aVpcId, preview: true }),
        await c.peering.request({ vpcId: apart.id, peerVpcId: w.aVpcId, preview: true }),
      ];
      expect({ ...previews[0], targetId: null }).toEqual({ ...previews[1], targetId: null });
      assertNoLeak(
        w,
        previews.map((p) => ({ ...p, targetId: null })),
      );
    },
    "peering.accept": (c, w) => expectCode(c.peering.accept({ peeringId: w.aPeeringId }), "NOT_FOUND"),
    "peering.reject": (c, w) => expectCode(c.peering.reject({ peeringId: w.aPeeringId }), "NOT_FOUND"),
    "peering.delete": (c, w) => expectCode(c.peering.delete({ peeringId: w.aPeeringId }), "NOT_FOUND"),
    "policy.matrix": (c, w) => expectCode(c.policy.matrix({ vpcId: w.aVpcId }), "NOT_FOUND"),
    "policy.plug": (c, w) => expectCode(c.policy.plug({ srcGroupId: w.aGroupId, dstGroupId: w.aGroupId }), "NOT_FOUND"),
    "policy.unplug": (c, w) =>
      expectCode(c.policy.unplug({ srcGroupId: w.aGroupId, dstGroupId: w.aGroupId }), "NOT_FOUND"),
    "policy.explain": (c, w) =>
      expectCode(c.policy.explain({ instanceId: w.aInstanceId, toAddress: "10.99.1.2" }), "NOT_FOUND"),
    "policy.realization": async (c, w) => assertNoLeak(w, await c.policy.realization()),
    "policy.setLabels": (c, w) =>
      expectCode(c.policy.setLabels({ instanceId: w.aInstanceId, labels: { tier: "web" } }), "NOT_FOUND"),
  },
  routes: {
    "GET /groups": async (call, w) => assertNoLeak(w, await (await call("GET", "/groups")).json()),
    "POST /groups": async (call, w) =>
      expect((await call("POST", "/groups", { vpcId: w.aVpcId, name: "bobs" })).status).toBe(404),
    "PATCH /groups/{groupId}": async (call, w) =>
      expect((await call("PATCH", `/groups/${w.aGroupId}`, { name: "bobs" })).status).toBe(404),
    "DELETE /groups/{groupId}": async (call, w) =>
      expect((await call("DELETE", `/groups/${w.aGroupId}`)).status).toBe(404),
    "GET /rules": async (call, w) => assertNoLeak(w, await (await call("GET", "/rules")).json()),
    "POST /rules": async (call, w) =>
      expect((await call("POST", "/rules", { srcGroupId: w.aGroupId, dstGroupId: w.aGroupId })).status).toBe(404),
    "PATCH /rules/{ruleId}": async (call, w) =>
      expect((await call("PATCH", `/rules/${w.aRuleId}`, { enabled: false })).status).toBe(404),
    "DELETE /rules/{ruleId}": async (call, w) =>
      expect((await call("DELETE", `/rules/${w.aRuleId}?preview=true`)).status).toBe(404),
    "GET /denies": async (call, w) => assertNoLeak(w, await (await call("GET", "/denies")).json()),
    "POST /denies": async (call, w) =>
      assertNoLeak(
        w,
        await (await call("POST", "/denies", { srcLabels: { env: "b" }, dstLabels: {}, preview: true })).json(),
      ),
    "DELETE /denies/{denyId}": async (call, w) =>
      expect((await call("DELETE", `/denies/${w.aDenyId}`)).status).toBe(404),
    "GET /peerings": async (call, w) => assertNoLeak(w, await (await call("GET", "/peerings")).json()),
    "POST /peerings": async (call, w) =>
      expect((await call("POST", "/peerings", { vpcId: w.aVpcId, peerVpcId: w.aVpcId })).status).toBe(400),
    "POST /peerings/{peeringId}/accept": async (call, w) =>
      expect((await call("POST", `/peerings/${w.aPeeringId}/accept`, {})).status).toBe(404),
    "POST /peerings/{peeringId}/reject": async (call, w) =>
      expect((await call("POST", `/peerings/${w.aPeeringId}/reject`, {})).status).toBe(404),
    "DELETE /peerings/{peeringId}": async (call, w) =>
      expect((await call("DELETE", `/peerings/${w.aPeeringId}`)).status).toBe(404),
    "GET /vpcs/{vpcId}/matrix": async (call, w) =>
      expect((await call("GET", `/vpcs/${w.aVpcId}/matrix`)).status).toBe(404),
    "POST /policy/plug": async (call, w) =>
      expect((await call("POST", "/policy/plug", { srcGroupId: w.aGroupId, dstGroupId: w.aGroupId })).status).toBe(404),
    "POST /policy/unplug": async (call, w) =>
      expect((await call("POST", "/policy/unplug", { srcGroupId: w.aGroupId, dstGroupId: w.aGroupId })).status).toBe(
        404,
      ),
    "POST /instances/{instanceId}/policy-check": async (call, w) =>
      expect((await call("POST", `/instances/${w.aInstanceId}/policy-check`, { toAddress: "10.99.1.2" })).status).toBe(
        404,
      ),
    "GET /policy/realization": async (call, w) =>
      assertNoLeak(w, await (await call("GET", "/policy/realization")).json()),
    "PUT /instances/{instanceId}/labels": async (call, w) =>
      expect((await call("PUT", `/instances/${w.aInstanceId}/labels`, { labels: { a: "b" } })).status).toBe(404),
  },
};
