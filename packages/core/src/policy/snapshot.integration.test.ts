import { afterAll, describe, expect, it } from "vitest";
import type { OperationQueue } from "../operations/queue.ts";
import { person } from "../test-support/kit.ts";
import { createVpc } from "../vpcs/vpcs.ts";
import { decidePeering, requestPeering } from "./peerings.ts";
import { loadPolicy } from "./snapshot.ts";

/**
 * One organization's policy, read by one statement: its own rows, its active peers' (they decide the
 * pairs across a peering), the peerings it is a side of, and nothing of anyone else.
 */
const queue: OperationQueue = { enqueue: () => Promise.resolve() };
const ctxs: Awaited<ReturnType<typeof person>>[] = [];
afterAll(async () => {
  for (const c of ctxs) await c.db.$disconnect();
});

describe("loadPolicy", () => {
  it("reads an organization with its active peer, and nobody else", async () => {
    const [a, b, c] = [await person("snap-a"), await person("snap-b"), await person("snap-c")];
    ctxs.push(a, b, c);
    const va = await createVpc(a, { name: "a", cidr: "10.81.0.0/16", allowOverlap: false });
    const vb = await createVpc(b, { name: "b", cidr: "10.82.0.0/16", allowOverlap: false });
    await createVpc(c, { name: "c", cidr: "10.83.0.0/16", allowOverlap: false });
    const asked = await requestPeering(a, queue, { vpcId: va.id, peerVpcId: vb.id });
    await decidePeering(b, queue, { peeringId: asked.targetId!, accept: true });
    const [orgA, orgB, orgC] = [a.actor.orgId, b.actor.orgId, c.actor.orgId];
    const plain = await loadPolicy(a.db, [orgA]);
    expect([...(plain.orgIds ?? [])].sort()).toEqual([orgA, orgB].sort());
    expect(plain.snapshot.groups.map((g) => g.orgId)).toContain(orgB);
    expect(plain.snapshot.groups.map((g) => g.orgId)).not.toContain(orgC);
    expect(plain.snapshot.peerings).toEqual([{ id: asked.targetId, vpcA: va.id, vpcB: vb.id, status: "active" }]);
    // the same rows as everybody's read holds for these organizations
    const all = await loadPolicy(a.db);
    expect(all.orgIds).toBeUndefined();
    const mine = new Set([orgA, orgB]);
    expect(all.snapshot.groups.filter((g) => mine.has(g.orgId))).toEqual(plain.snapshot.groups);
    expect(all.instances.filter((i) => mine.has(i.orgId))).toEqual(plain.instances);
    expect(all.snapshot.groups.map((g) => g.orgId)).toContain(orgC);
  });
});
