import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { tenantWithHost, type EnrolledHost } from "../test-support/kit.ts";
import { issueCommand, pullCommands } from "./commands.ts";

/** The agent channel against the real Postgres: a restarted agent gets what it was handed at once (issue 18). */
let ctx: Ctx;
let enrolled: EnrolledHost;

beforeAll(async () => {
  const tenant = await tenantWithHost("cmds", { hostname: "h-cmds" });
  ctx = tenant.ctx;
  enrolled = tenant;
});
afterAll(() => ctx.db.$disconnect());

describe("commands for a host's agent", () => {
  it("come again at once to an agent that resumes (restarted), and only after the timer otherwise", async () => {
    const op = await ctx.db.operation.create({
      data: {
        id: ctx.newId("operation"),
        orgId: ctx.actor.orgId,
        kind: "instance.launch",
        targetType: "instance",
        targetId: "inst_none",
        steps: [],
        requestedBy: "test",
      },
    });
    const body = { kind: "instance.remove" as const, instanceId: "inst_none", runtime: "netns" as const };
    const id = await issueCommand(ctx, { hostId: enrolled.hostId, operationId: op.id, body });
    expect((await pullCommands(ctx, enrolled.host, [])).commands.map((c) => c.id)).toEqual([id]);
    // the agent died running it: a plain poll waits for the 30 s redelivery …
    expect((await pullCommands(ctx, enrolled.host, [])).commands).toEqual([]);
    // … its first poll after the restart gets it at once
    expect((await pullCommands(ctx, enrolled.host, [], { resume: true })).commands.map((c) => c.id)).toEqual([id]);
  });

  it("are not handed out again while the agent says it still runs them, and never crowd out new ones", async () => {
    const probe = (i: number) => ({
      kind: "instance.probe" as const,
      probe: {
        instanceId: `inst_r${i}`,
        runtime: "netns" as const,
        target: "10.0.0.3",
        protocol: "icmp" as const,
        port: null,
      },
    });
    const issue = async (i: number) => {
      const id = ctx.newId("hostCommand");
      await ctx.db.hostCommand.create({
        data: { id, hostId: enrolled.hostId, kind: "instance.probe", payload: probe(i) },
      });
      return id;
    };
    // what another test of this host left unanswered is not this test's
    await ctx.db.hostCommand.updateMany({ where: { hostId: enrolled.hostId }, data: { status: "done" } });
    // more long commands in flight on the agent than one poll hands out (VMs booting for minutes)
    const long: string[] = [];
    for (let i = 0; i < 25; i++) long.push(await issue(i));
    const handed = [
      ...(await pullCommands(ctx, enrolled.host, [])).commands,
      ...(await pullCommands(ctx, enrolled.host, [])).commands,
    ].map((c) => c.id);
    expect(handed.sort()).toEqual([...long].sort());
    const fresh = await issue(99);
    // a resume (or the redelivery timer) would hand all 25 out again first; the agent says it runs them
    const next = await pullCommands(ctx, enrolled.host, [], { resume: true, running: long });
    expect(next.commands.map((c) => c.id)).toEqual([fresh]);
    // an agent that restarted (names none of them) gets them all again
    const again = await pullCommands(ctx, enrolled.host, [], { resume: true });
    expect(again.commands).toHaveLength(20);
    expect(again.commands.every((c) => long.includes(c.id))).toBe(true);
    await ctx.db.hostCommand.deleteMany({ where: { id: { in: [...long, fresh] } } });
  });

  it("another host naming our commands as its own running ones changes nothing for us", async () => {
    // a hostile agent of another tenant lists our command's id in `running` on every poll
    const other = await tenantWithHost("cmds-other", { hostname: "h-cmds-other" });
    await ctx.db.hostCommand.updateMany({ where: { hostId: enrolled.hostId }, data: { status: "done" } });
    const id = ctx.newId("hostCommand");
    await ctx.db.hostCommand.create({
      data: {
        id,
        hostId: enrolled.hostId,
        kind: "instance.remove",
        payload: { kind: "instance.remove", instanceId: "inst_x", runtime: "netns" },
      },
    });
    const theirs = await pullCommands(other.ctx, other.host, [], { resume: true, running: [id] });
    expect(theirs.commands).toEqual([]);
    expect(await ctx.db.hostCommand.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: "pending",
      attempts: 0,
    });
    // our agent still gets it, and after handing it out, a resume brings it again although they name it
    expect((await pullCommands(ctx, enrolled.host, [])).commands.map((c) => c.id)).toEqual([id]);
    await pullCommands(other.ctx, other.host, [], { resume: true, running: [id] });
    expect((await pullCommands(ctx, enrolled.host, [], { resume: true })).commands.map((c) => c.id)).toEqual([id]);
    await ctx.db.hostCommand.delete({ where: { id } });
    await other.ctx.db.$disconnect();
  });
});
