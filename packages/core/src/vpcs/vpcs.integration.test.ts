import { asId, type CloudId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCloud } from "../clouds/clouds.ts";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { codeOf, person } from "../test-support/kit.ts";
import { allocateAddress, releaseAddress } from "./ipam.ts";
import { createSubnet, createVpc, deleteVpc, listSubnets } from "./vpcs.ts";

let ctx: Ctx;
let cloudId: CloudId;

beforeAll(async () => {
  ctx = await person("vpc");
  cloudId = (await createCloud(ctx, { name: "dc1", kind: "docker", region: "eu", datacenter: "dc1" })).id;
});
afterAll(async () => {
  await ctx.db.$disconnect();
});

describe("VPCs and subnets", () => {
  it("refuse public, malformed, oversized and overlapping ranges with the field at fault", async () => {
    expect(await codeOf(createVpc(ctx, { name: "pub", cidr: "8.8.0.0/16", allowOverlap: false }))).toBe(
      "VALIDATION_FAILED@cidr",
    );
    expect(await codeOf(createVpc(ctx, { name: "bits", cidr: "10.0.0.1/16", allowOverlap: false }))).toBe(
      "VALIDATION_FAILED@cidr",
    );
    expect(await codeOf(createVpc(ctx, { name: "tiny", cidr: "10.0.0.0/30", allowOverlap: false }))).toBe(
      "VALIDATION_FAILED@cidr",
    );
    expect(await codeOf(createVpc(ctx, { name: "prod", cidr: "10.10.0.0/16", allowOverlap: false }))).toBe("ok");
    expect(await codeOf(createVpc(ctx, { name: "prod", cidr: "10.11.0.0/16", allowOverlap: false }))).toBe(
      "DUPLICATE_NAME@name",
    );
    expect(await codeOf(createVpc(ctx, { name: "clash", cidr: "10.10.128.0/17", allowOverlap: false }))).toBe(
      "CIDR_OVERLAP@cidr",
    );
    expect(await codeOf(createVpc(ctx, { name: "isolated", cidr: "10.10.0.0/16", allowOverlap: true }))).toBe("ok");
  });

  it("subnets stay inside their VPC and apart from each other; the gateway is the first address", async () => {
    const vpc = await createVpc(ctx, { name: "web", cidr: "172.20.0.0/16", allowOverlap: false });
    expect(await codeOf(createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "out", cidr: "172.21.0.0/24" }))).toBe(
      "VALIDATION_FAILED@cidr",
    );
    const a = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "a", cidr: "172.20.1.0/24" });
    expect(a.gateway).toBe("172.20.1.1");
    expect(await codeOf(createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "b", cidr: "172.20.1.128/25" }))).toBe(
      "CIDR_OVERLAP@cidr",
    );
    expect(
      await codeOf(
        createSubnet(ctx, {
          vpcId: vpc.id,
          cloudId: asId("cloud", "cld_00000000000000000000"),
          name: "c",
          cidr: "172.20.2.0/24",
        }),
      ),
    ).toBe("NOT_FOUND");
    expect((await listSubnets(ctx, { vpcId: vpc.id })).map((s) => s.cidr)).toEqual(["172.20.1.0/24"]);
  });

  it("a VPC drawn across clouds comes with its subnets in one transaction: all or nothing", async () => {
    const other = (await createCloud(ctx, { name: "dc2", kind: "vm", region: "eu", datacenter: "dc2" })).id;
    const drawn = await createVpc(ctx, {
      name: "drawn",
      cidr: "172.30.0.0/16",
      allowOverlap: false,
      subnets: [
        { cloudId, name: "dc1", cidr: "172.30.1.0/24" },
        { cloudId: other, name: "dc2", cidr: "172.30.2.0/24" },
      ],
    });
    expect(drawn.subnetCount).toBe(2);
    expect((await listSubnets(ctx, { vpcId: drawn.id })).map((s) => [s.cidr, s.cloudId])).toEqual([
      ["172.30.1.0/24", cloudId],
      ["172.30.2.0/24", other],
    ]);
    const bad = (subnets: { cloudId: CloudId; name: string; cidr: string }[]) =>
      codeOf(createVpc(ctx, { name: "half", cidr: "172.31.0.0/16", allowOverlap: false, subnets }));
    expect(
      await bad([
        { cloudId, name: "a", cidr: "172.31.1.0/24" },
        { cloudId: other, name: "b", cidr: "172.99.2.0/24" },
      ]),
    ).toBe("VALIDATION_FAILED@subnets.1.cidr");
    expect(
      await bad([
        { cloudId, name: "a", cidr: "172.31.1.0/24" },
        { cloudId: other, name: "b", cidr: "172.31.1.128/25" },
      ]),
    ).toBe("CIDR_OVERLAP@subnets.1.cidr");
    expect(
      await bad([
        { cloudId, name: "a", cidr: "172.31.1.0/24" },
        { cloudId: other, name: "a", cidr: "172.31.2.0/24" },
      ]),
    ).toBe("DUPLICATE_NAME@subnets.1.name");
    expect(await bad([{ cloudId: asId("cloud", "cld_00000000000000000000"), name: "a", cidr: "172.31.1.0/24" }])).toBe(
      "NOT_FOUND@subnets.0.cloudId",
    );
    expect(await bad([{ cloudId, name: "a", cidr: "172.31.1.0/30" }])).toBe("VALIDATION_FAILED@subnets.0.cidr");
    expect(await ctx.db.vpc.count({ where: { orgId: ctx.actor.orgId, name: "half" } })).toBe(0);
  });

  it("IPAM never hands out one address twice, even to 70 concurrent requests, and says when a subnet is full", async () => {
    const vpc = await createVpc(ctx, { name: "ipam", cidr: "192.168.50.0/24", allowOverlap: false });
    const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "small", cidr: "192.168.50.0/26" });
    const results = await Promise.allSettled(
      Array.from({ length: 70 }, (_, i) =>
        ctx.db.$transaction((tx) => allocateAddress(tx, ctx.actor.orgId, sn.id, `holder-${i}`), {
          maxWait: 30_000,
          timeout: 30_000,
        }),
      ),
    );
    const addresses = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.address] : []));
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(addresses).toHaveLength(61); // a /26 minus network, gateway and broadcast
    expect(addresses).not.toContain("192.168.50.1");
    const failures = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as DomainError).code] : []));
    expect(new Set(failures)).toEqual(new Set(["SUBNET_FULL"]));
    await ctx.db.$transaction((tx) => releaseAddress(tx, sn.id, "192.168.50.7"));
    const again = await ctx.db.$transaction((tx) => allocateAddress(tx, ctx.actor.orgId, sn.id, "holder-x"));
    expect(again.address).toBe("192.168.50.7");
    expect(
      await codeOf(ctx.db.$transaction((tx) => allocateAddress(tx, ctx.actor.orgId, sn.id, "y", "192.168.50.7"))),
    ).toBe("ADDRESS_IN_USE@address");
    expect(await codeOf(deleteVpc(ctx, { vpcId: vpc.id }))).toBe("VPC_NOT_EMPTY");
  });

  it("another organization's subnet is not found by IPAM", async () => {
    const vpc = await createVpc(ctx, { name: "mine", cidr: "192.168.60.0/24", allowOverlap: false });
    const sn = await createSubnet(ctx, { vpcId: vpc.id, cloudId, name: "s", cidr: "192.168.60.0/28" });
    expect(await codeOf(ctx.db.$transaction((tx) => allocateAddress(tx, "org_someoneelse000000", sn.id, "z")))).toBe(
      "NOT_FOUND",
    );
  });
});
