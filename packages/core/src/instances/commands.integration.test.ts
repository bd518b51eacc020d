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
});
