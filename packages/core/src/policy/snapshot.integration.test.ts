import { afterAll, describe, expect, it } from "vitest";
import type { OperationQueue } from "../operations/queue.ts";
import { person } from "../test-support/kit.ts";
import { createVpc } from "../vpcs/vpcs.ts";
import { decidePeering, requestPeering } from "./peerings.ts";
import { loadPolicy } from "./snapshot.ts";

/**
 * The TSC reads one organization's policy in a single round of queries by guessing its active
 * peers (what it read last time): whatever the guess, the answer is what the two-round read gives.
 */
const queue: OperationQueue = { enqueue: () => Promise.resolve() };
const ctxs: Awaited<ReturnType<typeof person>>[] = [];
afterAll(async () => {
  for (const c of ctxs) await c.db.$disconnect();
});

describe("loadPolicy with a guess of the peers", () => {
  it("a right, a missing and a stale guess all read the same policy", async () => {
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
    for (const assumePeers of [[orgB], [], [orgB, orgC], [orgC]])
      expect(await loadPolicy(a.db, [orgA], { assumePeers }), `guess ${assumePeers.join(",")}`).toEqual(plain);
  });
});
