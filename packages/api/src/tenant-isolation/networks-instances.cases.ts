import { expect } from "vitest";
import { assertNoLeak, expectCode, type IsolationCases } from "../test-support/tenant-isolation.ts";

/** VPCs, subnets, instances (with reachability) and the operations behind them. */
export const networksInstancesCases: IsolationCases = {
  procedures: {
    "vpc.list": async (c, w) => assertNoLeak(w, await c.vpc.list()),
    // The same CIDR as A's VPC is B's own business: tenants may reuse addresses.
    "vpc.create": async (c, w) =>
      assertNoLeak(
        w,
        await c.vpc.create({
          name: `b-${Math.random().toString(36).slice(2, 8)}`,
          cidr: "10.99.0.0/16",
          allowOverlap: true,
        }),
      ),
    "vpc.delete": (c, w) => expectCode(c.vpc.delete({ vpcId: w.aVpcId }), "NOT_FOUND"),
    // another tenant's VPC cannot be re-marked, nor previewed
    "vpc.setUnderlayDscp": async (c, w) => {
      await expectCode(c.vpc.setUnderlayDscp({ vpcId: w.aVpcId, underlayDscp: 46 }), "NOT_FOUND");
      await expectCode(c.vpc.setUnderlayDscp({ vpcId: w.aVpcId, underlayDscp: 46, preview: true }), "NOT_FOUND");
    },
    "subnet.list": (c, w) => expectCode(c.subnet.list({ vpcId: w.aVpcId }), "NOT_FOUND"),
    "subnet.create": async (c, w) => {
      await expectCode(
        c.subnet.create({ vpcId: w.aVpcId, cloudId: w.bCloudId, name: "x", cidr: "10.99.2.0/24" }),
        "NOT_FOUND",
      );
      const mine = await c.vpc.create({
        name: `b-${Math.random().toString(36).slice(2, 8)}`,
        cidr: "10.99.0.0/16",
        allowOverlap: true,
      });
      await expectCode(
        c.subnet.create({ vpcId: mine.id, cloudId: w.aCloudId, name: "x", cidr: "10.99.2.0/24" }),
        "NOT_FOUND",
      );
    },
    "subnet.delete": (c, w) => expectCode(c.subnet.delete({ subnetId: w.aSubnetId }), "NOT_FOUND"),
    "instance.list": async (c, w) => assertNoLeak(w, await c.instance.list({})),
    "instance.page": async (c, w) => {
      assertNoLeak(w, await c.instance.page({}));
      expect((await c.instance.page({ hostId: w.aHostId, status: "running" })).items).toEqual([]);
    },
    "instance.counts": async (c, w) =>
      expect(await c.instance.counts({ vpcId: w.aVpcId })).toEqual({ total: 0, byStatus: {} }),
    // another tenant's instance is refused on its own line, nothing queued for it
    "instance.bulk": async (c, w) =>
      expect((await c.instance.bulk({ action: "terminate", instanceIds: [w.aInstanceId] })).results).toEqual([
        { instanceId: w.aInstanceId, name: null, operationId: null, error: "instance not found" },
      ]),
    "instance.get": (c, w) => expectCode(c.instance.get({ instanceId: w.aInstanceId }), "NOT_FOUND"),
    "instance.launch": (c, w) =>
      expectCode(
        c.instance.launch({ name: "bobs", subnetId: w.aSubnetId, runtime: "netns", cpus: 1, memoryMiB: 64 }),
        "NOT_FOUND",
      ),
    "instance.terminate": (c, w) => expectCode(c.instance.terminate({ instanceId: w.aInstanceId }), "NOT_FOUND"),
    "reachability.trace": (c, w) =>
      expectCode(c.reachability.trace({ instanceId: w.aInstanceId, toAddress: "10.0.0.1" }), "NOT_FOUND"),
    "reachability.check": (c, w) =>
      expectCode(
        c.reachability.check({ instanceId: w.aInstanceId, toAddress: "10.0.0.1", protocol: "icmp" }),
        "NOT_FOUND",
      ),
    "instance.stop": (c, w) => expectCode(c.instance.stop({ instanceId: w.aInstanceId }), "NOT_FOUND"),
    "instance.start": (c, w) => expectCode(c.instance.start({ instanceId: w.aInstanceId }), "NOT_FOUND"),
    "instance.restart": (c, w) =>
      expectCode(c.instance.restart({ instanceId: w.aInstanceId, idempotencyKey: "bob-restart-1" }), "NOT_FOUND"),
    // another tenant's VM has no serial console for B (nor is its existence told)
    "serialConsole.open": (c, w) => expectCode(c.serialConsole.open({ instanceId: w.aInstanceId }), "NOT_FOUND"),
    // another tenant's container's output is not read (nor is a host asked for it)
    "instance.logs": (c, w) => expectCode(c.instance.logs({ instanceId: w.aInstanceId, lines: 10 }), "NOT_FOUND"),
    "operation.list": async (c, w) => assertNoLeak(w, await c.operation.list({})),
    "operation.page": async (c, w) => {
      expect((await c.operation.page({ ids: [w.aOperationId] })).items).toEqual([]);
      expect((await c.operation.page({ search: w.aInstanceId })).items).toEqual([]);
      assertNoLeak(w, await c.operation.page({}));
    },
    "operation.get": (c, w) => expectCode(c.operation.get({ operationId: w.aOperationId }), "NOT_FOUND"),
    "operation.retry": (c, w) => expectCode(c.operation.retry({ operationId: w.aOperationId }), "NOT_FOUND"),
    "operation.cancel": (c, w) => expectCode(c.operation.cancel({ operationId: w.aOperationId }), "NOT_FOUND"),
  },
  routes: {
    "POST /instances/{instanceId}/serial-console": async (call, w) =>
      expect((await call("POST", `/instances/${w.aInstanceId}/serial-console`, {})).status).toBe(404),
    "POST /instances/{instanceId}/logs": async (call, w) =>
      expect((await call("POST", `/instances/${w.aInstanceId}/logs`, { lines: 10 })).status).toBe(404),
    "GET /vpcs": async (call, w) => assertNoLeak(w, await (await call("GET", "/vpcs")).json()),
    "POST /vpcs": async (call, w) =>
      assertNoLeak(
        w,
        await (
          await call("POST", "/vpcs", {
            name: `r-${Math.random().toString(36).slice(2, 8)}`,
            cidr: "10.99.0.0/16",
            allowOverlap: true,
          })
        ).json(),
      ),
    "DELETE /vpcs/{vpcId}": async (call, w) => expect((await call("DELETE", `/vpcs/${w.aVpcId}`)).status).toBe(404),
    "PUT /vpcs/{vpcId}/underlay-dscp": async (call, w) =>
      expect((await call("PUT", `/vpcs/${w.aVpcId}/underlay-dscp`, { underlayDscp: 46 })).status).toBe(404),
    "GET /vpcs/{vpcId}/subnets": async (call, w) =>
      expect((await call("GET", `/vpcs/${w.aVpcId}/subnets`)).status).toBe(404),
    "POST /vpcs/{vpcId}/subnets": async (call, w) =>
      expect(
        (await call("POST", `/vpcs/${w.aVpcId}/subnets`, { cloudId: w.bCloudId, name: "x", cidr: "10.99.3.0/24" }))
          .status,
      ).toBe(404),
    "DELETE /subnets/{subnetId}": async (call, w) =>
      expect((await call("DELETE", `/subnets/${w.aSubnetId}`)).status).toBe(404),
    "GET /instances": async (call, w) => assertNoLeak(w, await (await call("GET", "/instances")).json()),
    "GET /search/instances": async (call, w) =>
      assertNoLeak(w, await (await call("GET", `/search/instances?hostId=${w.aHostId}`)).json()),
    "GET /instance-counts": async (call, w) =>
      expect(await (await call("GET", `/instance-counts?vpcId=${w.aVpcId}`)).json()).toEqual({
        total: 0,
        byStatus: {},
      }),
    "POST /instances/bulk": async (call, w) => {
      const res = await call("POST", "/instances/bulk", { action: "stop", instanceIds: [w.aInstanceId] });
      expect(await res.json()).toEqual({
        results: [{ instanceId: w.aInstanceId, name: null, operationId: null, error: "instance not found" }],
      });
    },
    "GET /instances/{instanceId}": async (call, w) =>
      expect((await call("GET", `/instances/${w.aInstanceId}`)).status).toBe(404),
    "POST /instances": async (call, w) =>
      expect((await call("POST", "/instances", { name: "bobs", subnetId: w.aSubnetId })).status).toBe(404),
    "DELETE /instances/{instanceId}": async (call, w) =>
      expect((await call("DELETE", `/instances/${w.aInstanceId}`)).status).toBe(404),
    "POST /instances/{instanceId}/reachability": async (call, w) =>
      expect((await call("POST", `/instances/${w.aInstanceId}/reachability`, { toAddress: "10.0.0.1" })).status).toBe(
        404,
      ),
    "POST /instances/{instanceId}/trace": async (call, w) =>
      expect((await call("POST", `/instances/${w.aInstanceId}/trace`, { toAddress: "10.0.0.1" })).status).toBe(404),
    "POST /instances/{instanceId}/stop": async (call, w) =>
      expect((await call("POST", `/instances/${w.aInstanceId}/stop`, {})).status).toBe(404),
    "POST /instances/{instanceId}/start": async (call, w) =>
      expect((await call("POST", `/instances/${w.aInstanceId}/start`, {})).status).toBe(404),
    "POST /instances/{instanceId}/restart": async (call, w) =>
      expect(
        (await call("POST", `/instances/${w.aInstanceId}/restart`, { idempotencyKey: "bob-restart-2" })).status,
      ).toBe(404),
    "GET /operations": async (call, w) => assertNoLeak(w, await (await call("GET", "/operations")).json()),
    "GET /search/operations": async (call, w) =>
      assertNoLeak(w, await (await call("GET", `/search/operations?search=${w.aInstanceId}`)).json()),
    "GET /operations/{operationId}": async (call, w) =>
      expect((await call("GET", `/operations/${w.aOperationId}`)).status).toBe(404),
    "POST /operations/{operationId}/retry": async (call, w) =>
      expect((await call("POST", `/operations/${w.aOperationId}/retry`, {})).status).toBe(404),
    "POST /operations/{operationId}/cancel": async (call, w) =>
      expect((await call("POST", `/operations/${w.aOperationId}/cancel`, {})).status).toBe(404),
  },
};
