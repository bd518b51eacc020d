import type { InstanceId, VpcId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { launchInstance } from "../instances/instances.ts";
import { redisOperationQueue } from "../operations/queue.ts";
import { cloudWithHost, codeOf, person } from "../test-support/kit.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { createDeny } from "./denies.ts";
import { explainReachability } from "./explain.ts";
import { createGroup, listGroups, setInstanceLabels } from "./groups.ts";
import { decidePeering, listPeerings, requestPeering } from "./peerings.ts";
import { createRule, plugGroups, policyMatrix, unplugGroups } from "./rules.ts";

/** Policy bookkeeping on the real Postgres and a real BullMQ queue (no worker consumes it here: the data path is the lab's business). */
let a: Ctx;
let b: Ctx;
let vpcId: VpcId;
let web: InstanceId;
let db: InstanceId;
let queue: ReturnType<typeof redisOperationQueue>;

beforeAll(async () => {
  a = await person("pol-a");
  b = await person("pol-b");
  queue = redisOperationQueue(
    process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    `nvitest-policy-${Date.now().toString(36)}`,
  );
  const { cloudId } = await cloudWithHost(a);
  const vpc = await createVpc(a, { name: "shop", cidr: "10.61.0.0/16", allowOverlap: false });
  vpcId = vpc.id;
  const subnetId = (await createSubnet(a, { vpcId, cloudId, name: "s", cidr: "10.61.1.0/24" })).id;
  web = (await launchInstance(a, queue, { name: "web-1", subnetId, labels: { tier: "web" } })).instance.id;
  db = (await launchInstance(a, queue, { name: "db-1", subnetId, labels: { tier: "db" } })).instance.id;
});
afterAll(async () => {
  await queue.close();
  await a.db.$disconnect();
  await b.db.$disconnect();
});

// one story, step by step: each test builds on the one before
describe("connectivity policy", { shuffle: false }, () => {
  it("a new VPC is flat by a documented default: group default (everyone), default → default plugged", async () => {
    const m = await policyMatrix(a, { vpcId });
    expect(m.groups.map((g) => g.name)).toEqual(["default"]);
    expect(m.groups[0]!.effectiveMemberIds.sort()).toEqual([web, db].sort());
    expect(m.cells).toEqual([expect.objectContaining({ state: "plugged" })]);
    expect(
      (await explainReachability(a, { instanceId: web, toInstanceId: db, protocol: "tcp", port: 5432 })).allowed,
    ).toBe(true);
  });

  it("a preview lists the pairs that would lose access and keeps nothing (no rule change, no version, no audit, no operation)", async () => {
    const dflt = (await policyMatrix(a, { vpcId })).groups[0]!.id;
    const versionBefore = (await a.db.organization.findUniqueOrThrow({ where: { id: a.actor.orgId } })).policyVersion;
    const audits = await a.db.auditEvent.count({ where: { orgId: a.actor.orgId } });
    const ops = await a.db.operation.count({ where: { orgId: a.actor.orgId, kind: "policy.apply" } });
    const preview = await unplugGroups(a, queue, { srcGroupId: dflt, dstGroupId: dflt, preview: true });
    expect(preview).toMatchObject({ applied: false, operationId: null, pairsChecked: 2 });
    expect(preview.changes.map((c) => `${c.from.name}→${c.to.name}:${c.change}`).sort()).toEqual([
      "db-1→web-1:loses",
      "web-1→db-1:loses",
    ]);
    expect((await policyMatrix(a, { vpcId })).cells[0]!.state).toBe("plugged");
    expect((await a.db.organization.findUniqueOrThrow({ where: { id: a.actor.orgId } })).policyVersion).toBe(
      versionBefore,
    );
    expect(await a.db.auditEvent.count({ where: { orgId: a.actor.orgId } })).toBe(audits);
    expect(await a.db.operation.count({ where: { orgId: a.actor.orgId, kind: "policy.apply" } })).toBe(ops);
  });

  it("applying unplugs, bumps the version, queues policy.apply and audits before/after", async () => {
    const dflt = (await policyMatrix(a, { vpcId })).groups[0]!.id;
    const applied = await unplugGroups(a, queue, { srcGroupId: dflt, dstGroupId: dflt });
    expect(applied.applied).toBe(true);
    expect(applied.changes).toHaveLength(2);
    const op = await a.db.operation.findUniqueOrThrow({ where: { id: applied.operationId! } });
    expect(op).toMatchObject({ kind: "policy.apply", status: "queued", targetType: "policy" });
    const audit = await a.db.auditEvent.findFirstOrThrow({
      where: { orgId: a.actor.orgId, action: "policy.rule.updated" },
    });
    expect(audit.before).toMatchObject({ protocol: "any", srcGroupId: dflt, dstGroupId: dflt, enabled: true });
    expect(audit.after).toMatchObject({ enabled: false, unplugged: [dflt, dflt] });
    const why = await explainReachability(a, { instanceId: web, toInstanceId: db });
    expect(why).toMatchObject({ allowed: false, forward: [], reverse: [] });
    expect(why.reason).toMatch(/no rule allows web-1 .* db-1 .*denied by default/);
  });

  it("groups by label, a tcp/5432 rule; the answer names the rule, and replies are the rule's business not db's", async () => {
    const webG = (await createGroup(a, queue, { vpcId, name: "web", matchLabels: { tier: "web" } })).targetId!;
    const dbG = (await createGroup(a, queue, { vpcId, name: "db", matchLabels: { tier: "db" } })).targetId!;
    const preview = await createRule(a, queue, {
      srcGroupId: webG,
      dstGroupId: dbG,
      protocol: "tcp",
      ports: "5432",
      description: "app to postgres",
      preview: true,
    });
    expect(preview.changes).toEqual([
      expect.objectContaining({
        from: expect.objectContaining({ name: "web-1" }),
        change: "gains",
        after: [{ protocol: "tcp", ports: [{ from: 5432, to: 5432 }] }],
      }),
    ]);
    const ruleId = (
      await createRule(a, queue, {
        srcGroupId: webG,
        dstGroupId: dbG,
        protocol: "tcp",
        ports: "5432",
        description: "app to postgres",
      })
    ).targetId!;
    const yes = await explainReachability(a, { instanceId: web, toInstanceId: db, protocol: "tcp", port: 5432 });
    expect(yes).toMatchObject({ allowed: true, ruleIds: [ruleId] });
    expect(yes.fromGroups.map((g) => g.name).sort()).toEqual(["default", "web"]);
    expect(yes.reason).toContain("app to postgres");
    const no = await explainReachability(a, { instanceId: web, toInstanceId: db, protocol: "tcp", port: 22 });
    expect(no.allowed).toBe(false);
    expect(no.reason).toMatch(/may open only tcp\/5432, not tcp\/22/);
    expect(
      (await explainReachability(a, { instanceId: db, toInstanceId: web, protocol: "tcp", port: 5432 })).allowed,
    ).toBe(false);
    const cell = (await policyMatrix(a, { vpcId })).cells.find((c) => c.srcGroupId === webG && c.dstGroupId === dbG);
    expect(cell).toMatchObject({ state: "partial", ruleIds: [ruleId] });
  });

  it("the deny list is evaluated first; labels move instances between groups (previewed)", async () => {
    await setInstanceLabels(a, queue, { instanceId: web, labels: { tier: "web", env: "prod" } });
    await setInstanceLabels(a, queue, { instanceId: db, labels: { tier: "db", env: "dev" } });
    await createDeny(a, queue, {
      srcLabels: { env: "prod" },
      dstLabels: { env: "dev" },
      description: "prod never opens to dev",
    });
    const why = await explainReachability(a, { instanceId: web, toInstanceId: db, protocol: "tcp", port: 5432 });
    expect(why).toMatchObject({ allowed: false });
    expect(why.denyIds).toHaveLength(1);
    expect(why.reason).toContain("prod never opens to dev");
    const moved = await setInstanceLabels(a, queue, {
      instanceId: db,
      labels: { tier: "db", env: "prod" },
      preview: true,
    });
    expect(moved.changes.map((c) => `${c.from.name}→${c.to.name}:${c.change}`)).toEqual(["web-1→db-1:gains"]);
  });

  it("bad rules are refused with the field at fault", async () => {
    const groups = (await policyMatrix(a, { vpcId })).groups;
    const g = groups[0]!.id;
    expect(await codeOf(createRule(a, queue, { srcGroupId: g, dstGroupId: g, protocol: "icmp", ports: "80" }))).toBe(
      "VALIDATION_FAILED@ports",
    );
    expect(await codeOf(createRule(a, queue, { srcGroupId: g, dstGroupId: g, protocol: "tcp", ports: "80-70" }))).toBe(
      "VALIDATION_FAILED@ports",
    );
    expect(await codeOf(createRule(a, queue, { srcGroupId: g, dstGroupId: g, protocol: "tcp", ports: "http" }))).toBe(
      "VALIDATION_FAILED@ports",
    );
    expect(await codeOf(createRule(a, queue, { dstGroupId: g }))).toBe("VALIDATION_FAILED@srcGroupId");
    expect(await codeOf(createRule(a, queue, { srcGroupId: "grp_nope", dstGroupId: g }))).toBe("NOT_FOUND@srcGroupId");
    const other = await createVpc(a, { name: "other", cidr: "10.62.0.0/16", allowOverlap: false });
    const otherG = (await createGroup(a, queue, { vpcId: other.id, name: "x", matchLabels: {} })).targetId!;
    expect(await codeOf(createRule(a, queue, { srcGroupId: otherG, dstGroupId: g }))).toBe(
      "VALIDATION_FAILED@srcGroupId",
    );
    expect(await codeOf(plugGroups(a, queue, { srcGroupId: otherG, dstGroupId: g }))).toBe(
      "VALIDATION_FAILED@srcGroupId",
    );
  });

  it("peering: overlap refused, same tenant active at once, another tenant's waits for its yes", async () => {
    const clash = await createVpc(a, { name: "clash", cidr: "10.61.128.0/17", allowOverlap: true });
    expect(await codeOf(requestPeering(a, queue, { vpcId, peerVpcId: clash.id }))).toBe("CIDR_OVERLAP@peerVpcId");
    const mine = await createVpc(a, { name: "mine", cidr: "10.63.0.0/16", allowOverlap: false });
    await requestPeering(a, queue, { vpcId, peerVpcId: mine.id });
    const theirs = await createVpc(b, { name: "theirs", cidr: "10.64.0.0/16", allowOverlap: false });
    const asked = await requestPeering(a, queue, { vpcId, peerVpcId: theirs.id });
    const seenByB = (await listPeerings(b)).find((p) => p.id === asked.targetId);
    expect(seenByB).toMatchObject({ status: "pending", side: "accepter" });
    const seenByA = (await listPeerings(a)).find((p) => p.id === asked.targetId);
    expect(seenByA).toMatchObject({ status: "pending", side: "requester", accepter: { vpcName: null, cidr: null } });
    expect(await codeOf(decidePeering(a, queue, { peeringId: asked.targetId!, accept: true }))).toBe(
      "OPERATION_STATE@peeringId",
    );
    const accepted = await decidePeering(b, queue, { peeringId: asked.targetId!, accept: true });
    expect(accepted.applied).toBe(true);
    expect((await listPeerings(a)).find((p) => p.id === asked.targetId)).toMatchObject({
      status: "active",
      accepter: { vpcName: "theirs" },
    });
    expect((await listPeerings(a)).find((p) => p.accepter.vpcId === mine.id)).toMatchObject({
      status: "active",
      side: "both",
    });
  });

  it("peering with another tenant says nothing about its range until it consents, and the attempt is in its audit log", async () => {
    const overlapping = await createVpc(b, { name: "b-overlap", cidr: "10.61.0.0/20", allowOverlap: true });
    const apart = await createVpc(b, { name: "b-apart", cidr: "10.99.0.0/16", allowOverlap: true });
    const ask = (peerVpcId: string, preview: boolean) => requestPeering(a, queue, { vpcId, peerVpcId, preview });
    // the same answer, preview or not, whether their range overlaps ours or not
    const [previewOverlap, previewApart] = [await ask(overlapping.id, true), await ask(apart.id, true)];
    expect({ ...previewOverlap, targetId: null }).toEqual({ ...previewApart, targetId: null });
    const asked = await ask(overlapping.id, false);
    expect((await listPeerings(a)).find((p) => p.id === asked.targetId)).toMatchObject({
      status: "pending",
      accepter: { cidr: null, vpcName: null },
    });
    const seenByB = await b.db.auditEvent.findMany({
      where: { orgId: b.actor.orgId, action: "policy.peering.asked", targetId: overlapping.id },
    });
    expect(seenByB.map((e) => (e.after as { preview: boolean }).preview).sort()).toEqual([false, true]);
    // the owner, who sees both ranges, is told at its yes; the peering stays pending (it can say no)
    expect(await codeOf(decidePeering(b, queue, { peeringId: asked.targetId!, accept: true }))).toBe(
      "CIDR_OVERLAP@peeringId",
    );
    expect((await listPeerings(b)).find((p) => p.id === asked.targetId)).toMatchObject({ status: "pending" });
  });

  it("the groups' list (one statement) says what the matrix says: members by hand and by label, order, creation times, per VPC", async () => {
    await createGroup(a, queue, { vpcId, name: "pinned", memberIds: [db], matchLabels: { tier: "web" } });
    const matrix = (await policyMatrix(a, { vpcId })).groups;
    expect([...matrix.find((g) => g.name === "pinned")!.effectiveMemberIds].sort()).toEqual([web, db].sort());
    expect(await listGroups(a, { vpcId })).toEqual(matrix);
    const all = await listGroups(a);
    expect(all.filter((g) => g.vpcId === vpcId)).toEqual(matrix);
    const rows = await a.db.group.findMany({
      where: { orgId: a.actor.orgId },
      orderBy: [{ vpcId: "asc" }, { createdAt: "asc" }],
    });
    expect(all.map((g) => [g.id, g.createdAt])).toEqual(rows.map((g) => [g.id, g.createdAt.toISOString()]));
    expect((await listGroups(b)).filter((g) => all.some((x) => x.id === g.id))).toEqual([]);
  });
});
