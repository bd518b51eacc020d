/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return -- REST answers are JSON, checked by the tests' assertions */
import { expect } from "vitest";
import { startJourney, type Journey } from "./journey.ts";
import type { Stack, Tenant } from "./stack.ts";
import { startSink, stopAllTraffic, type Sink } from "./traffic.ts";

/** An instance of the policy suites: its id, address and network namespace. */
export interface PolicyInstance {
  id: string;
  address: string;
  ns: string;
}

/**
 * What each policy suite (`policy*.integration.test.ts`) brings up for itself: 2 datacenters × 2
 * hosts, the first tenant on one host per datacenter (the others are `j.spareHosts`), a VPC
 * 10.50.0.0/16 with tenant A's instances web and c1 (dc1), db and c2 (dc2, c2 at 10.50.2.88), each
 * listening on 80 and 9000; groups `default`, `web` (tier=web) and `db` (tier=db).
 */
export interface PolicyLab {
  j: Journey;
  stack: Stack;
  /** tenant A's instances by name: id, address, namespace */
  inst: Record<string, PolicyInstance>;
  /** group ids by short name */
  groups: Record<string, string>;
  vpcId: string;
  /** A netns instance of tenant `t` launched to the end; it listens on 80 and 9000 (TCP and UDP) and tells its name to a TCP probe. */
  launched(t: Tenant | Stack, name: string, subnetId: string, address?: string): Promise<PolicyInstance>;
  /** An operation of tenant `t` (its own token: another tenant's operations are not found) to the end. */
  finishedFor(t: Tenant | Stack, operationId: string, ms?: number): Promise<any>;
  /** A policy mutation through the API, then its policy.apply operation to the end. */
  change(t: Tenant | Stack, method: string, path: string, body?: unknown): Promise<{ answer: any; op: any }>;
  /** A policy mutation by tenant `t`, then its policy.apply operation (seen with `t`'s own token) to the end. */
  changeAs(t: Tenant | Stack, method: string, path: string, body?: unknown): Promise<any>;
  unplug(src: string, dst: string): Promise<{ answer: any; op: any }>;
  plug(src: string, dst: string): Promise<{ answer: any; op: any }>;
  /** Stops every listener and traffic process, closes the journey. */
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startPolicyLab(): Promise<PolicyLab> {
  const j = await startJourney({
    vpcCidr: "10.50.0.0/16",
    subnetCidrs: { dc1: "10.50.1.0/24", dc2: "10.50.2.0/24" },
    hostsPerDc: 2,
  });
  const sinks: Sink[] = [];
  const p: PolicyLab = {
    j,
    stack: j.stack,
    inst: {},
    groups: {},
    vpcId: "",
    async launched(t, name, subnetId, address) {
      const r = await t.call("POST", "/instances", {
        name,
        subnetId,
        runtime: "netns",
        ...(address ? { address } : {}),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const op = await p.finishedFor(t, r.body.operationId);
      expect(op.status, op.error).toBe("succeeded");
      const i = {
        id: r.body.instance.id as string,
        address: r.body.instance.address as string,
        ns: `${j.lab.name}-n-${r.body.instance.id}`,
      };
      // every instance listens on 80 and 9000 (TCP and UDP) and tells its name to a TCP probe
      for (const port of [80, 9000]) sinks.push(await startSink(i.ns, port, name));
      return i;
    },
    finishedFor: (t, operationId, ms = 60_000) =>
      j.until(
        `operation ${operationId}`,
        async () => {
          const r = await t.call("GET", `/operations/${operationId}`);
          return ["succeeded", "failed"].includes(r.body?.status) ? r.body : undefined;
        },
        ms,
      ),
    async change(t, method, path, body) {
      const r = await t.call(method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(202);
      expect(r.body.applied).toBe(true);
      const op = await j.finished(r.body.operationId, 30_000);
      expect(op.status, `${op.error} ${j.stack.workerLog().slice(-3000)}`).toBe("succeeded");
      return { answer: r.body, op };
    },
    async changeAs(t, method, path, body) {
      const r = await t.call(method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(202);
      const op = await p.finishedFor(t, r.body.operationId, 30_000);
      expect(op.status, `${op.error} ${j.stack.workerLog().slice(-3000)}`).toBe("succeeded");
      return r.body;
    },
    unplug: (src, dst) =>
      p.change(p.stack, "POST", "/policy/unplug", { srcGroupId: p.groups[src], dstGroupId: p.groups[dst] }),
    plug: (src, dst) =>
      p.change(p.stack, "POST", "/policy/plug", { srcGroupId: p.groups[src], dstGroupId: p.groups[dst] }),
    async close() {
      for (const s of sinks) s.stop();
      stopAllTraffic();
      await j.close();
    },
  };
  try {
    const { stack, inst, groups } = p;
    inst.web = await p.launched(stack, "web", j.subnets.dc1!);
    inst.db = await p.launched(stack, "db", j.subnets.dc2!);
    inst.c1 = await p.launched(stack, "c1", j.subnets.dc1!);
    inst.c2 = await p.launched(stack, "c2", j.subnets.dc2!, "10.50.2.88");
    const r = await stack.call("GET", "/groups");
    p.vpcId = r.body[0].vpcId;
    groups.default = r.body.find((g: any) => g.name === "default").id;
    for (const [name, tier] of [
      ["web", "web"],
      ["db", "db"],
    ] as const) {
      await p.change(stack, "PUT", `/instances/${inst[name]!.id}/labels`, { labels: { tier } });
      groups[name] = (
        await p.change(stack, "POST", "/groups", { vpcId: p.vpcId, name, matchLabels: { tier } })
      ).answer.targetId;
    }
    return p;
  } catch (e) {
    await p.close().catch(() => undefined);
    throw e;
  }
}
