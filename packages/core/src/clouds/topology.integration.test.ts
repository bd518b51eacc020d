import type { Scope } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { launchInstance } from "../instances/instances.ts";
import { cloudWithHost, codeOf, person, testQueue } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { getTopology } from "./topology.ts";

/** The Topology page's one query (issue 17, page loads), on the real Postgres. */
let ctx: Ctx;
let queue: ReturnType<typeof testQueue>;
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});
beforeAll(() => {
  queue = testQueue("topology");
});

const withScopes = (c: Ctx, scopes: Scope[]): Ctx => ({ ...c, actor: { ...c.actor, scopes: new Set(scopes) } });

describe("topology.get", () => {
  beforeAll(async () => {
    ctx = await person("topology");
  });

  it("answers each host with its live instances counted, terminated ones left out, and no other tenant's", async () => {
    const busy = await cloudWithHost(ctx, { cloud: "topo-a", hostname: "topo-busy" });
    const idle = await cloudWithHost(ctx, { cloud: "topo-b", hostname: "topo-idle" });
    const vpc = await createVpc(ctx, { name: "v-topo", cidr: "10.68.0.0/16", allowOverlap: true });
    const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId: busy.cloudId, name: "s-topo", cidr: "10.68.1.0/24" });
    const launched = [];
    for (const name of ["t-1", "t-2", "t-3"])
      launched.push(await launchInstance(ctx, queue, { name, subnetId: sn.id, runtime: "netns" }));
    await ctx.db.instance.update({ where: { id: launched[2]!.instance.id }, data: { status: "terminated" } });
    const other = await person("topology-other", ctx);
    await cloudWithHost(other, { cloud: "topo-elsewhere", hostname: "topo-theirs" });

    const topology = await getTopology(ctx);
    expect(topology.clouds.map((c) => c.name).sort()).toEqual(["topo-a", "topo-b"]);
    expect(topology.clouds.find((c) => c.name === "topo-a")?.hostCount).toBe(1);
    expect(topology.hosts).toEqual([
      {
        id: busy.hostId,
        cloudId: busy.cloudId,
        name: "topo-busy",
        status: "online",
        fabricAddress: null,
        gatewayPublicAddress: null,
        instanceCount: 2,
      },
      {
        id: idle.hostId,
        cloudId: idle.cloudId,
        name: "topo-idle",
        status: "online",
        fabricAddress: null,
        gatewayPublicAddress: null,
        instanceCount: 0,
      },
    ]);
    // nothing of the instances but their count leaves the database
    expect(JSON.stringify(topology)).not.toContain("t-1");

    // a token that may read clouds but not instances learns no count
    const cloudsOnly = await getTopology(withScopes(ctx, ["clouds:read"]));
    expect(cloudsOnly.hosts.map((h) => h.instanceCount)).toEqual([null, null]);
    expect(await codeOf(getTopology(withScopes(ctx, ["instances:read"])))).toBe("MISSING_SCOPE");
  });
});
