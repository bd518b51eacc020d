import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { codeOf, person, testQueue } from "../test-support/kit.ts";
import { createVpc } from "../vpcs/vpcs.ts";
import { listRules, plugGroups, policyMatrix, unplugGroups } from "./rules.ts";

/**
 * Issue 17, bug 7: unplugging a VPC's default → default and plugging it back made a new rule
 * ("plugged from the matrix", a new id): the documented default was gone for good. Real Postgres,
 * a real BullMQ queue (not consumed).
 */
let ctx: Ctx;
let queue: ReturnType<typeof testQueue>;

beforeAll(async () => {
  ctx = await person("plug-id");
  queue = testQueue("plug-id");
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

describe("unplug, then plug back", () => {
  it("keeps the default rule's identity and description; the matrix follows", async () => {
    const vpc = await createVpc(ctx, { name: "flat", cidr: "10.93.0.0/16", allowOverlap: true });
    const [rule] = await listRules(ctx, { vpcId: vpc.id });
    const dflt = (await policyMatrix(ctx, { vpcId: vpc.id })).groups[0]!.id;
    expect(rule).toMatchObject({ description: "members of the VPC talk to each other", enabled: true });

    expect(await codeOf(unplugGroups(ctx, queue, { srcGroupId: dflt, dstGroupId: dflt }))).toBe("ok");
    expect((await policyMatrix(ctx, { vpcId: vpc.id })).cells[0]?.state ?? "none").not.toBe("plugged");

    expect(await codeOf(plugGroups(ctx, queue, { srcGroupId: dflt, dstGroupId: dflt }))).toBe("ok");
    expect((await policyMatrix(ctx, { vpcId: vpc.id })).cells[0]!.state).toBe("plugged");
    const after = await listRules(ctx, { vpcId: vpc.id });
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: rule!.id, description: rule!.description, enabled: true });

    // twice over: still the one rule
    await unplugGroups(ctx, queue, { srcGroupId: dflt, dstGroupId: dflt });
    await plugGroups(ctx, queue, { srcGroupId: dflt, dstGroupId: dflt });
    expect((await listRules(ctx, { vpcId: vpc.id })).map((r) => r.id)).toEqual([rule!.id]);
  });
});
