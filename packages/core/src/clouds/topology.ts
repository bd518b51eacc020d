import { asId, type TopologyDto } from "@nvi/contracts";
import { assertScope, grants } from "../access.ts";
import type { Ctx } from "../context.ts";
import { listClouds } from "./clouds.ts";
import { hostStatus } from "./hosts.ts";

/** As many hosts as `host.list` answers: the canvas draws an organization's every host. */
const MAX_HOSTS = 1000;

/**
 * The Topology page's first request (issue 17, page loads): the clouds, and each host with only
 * what the canvas draws of it (status, fabric address, gateway role) and its live instances
 * counted in the database, never listed. A 100-host, 1,000-instance organization costs three
 * small queries instead of every host's facts and every instance (`host.list` + `instance.list`);
 * the canvas asks for a host's instances when it is zoomed in on it. The counts need the
 * instances:read scope, as listing them does: without it they are null.
 */
export async function getTopology(ctx: Ctx): Promise<TopologyDto> {
  assertScope(ctx.actor.scopes, "clouds", "read");
  const orgId = ctx.actor.orgId;
  const counted = grants(ctx.actor.scopes, "instances", "read");
  const [clouds, hosts, counts] = await Promise.all([
    listClouds(ctx),
    ctx.db.host.findMany({
      where: { orgId },
      select: {
        id: true,
        cloudId: true,
        name: true,
        lastSeenAt: true,
        fabricAddress: true,
        gatewayPublicAddress: true,
      },
      orderBy: [{ enrolledAt: "asc" }, { id: "asc" }],
      take: MAX_HOSTS,
    }),
    counted
      ? ctx.db.instance.groupBy({
          by: ["hostId"],
          where: { orgId, status: { not: "terminated" } },
          _count: { _all: true },
        })
      : Promise.resolve([]),
  ]);
  const live = new Map(counts.map((c) => [c.hostId, c._count._all]));
  const now = ctx.clock();
  return {
    clouds,
    hosts: hosts.map((h) => ({
      id: asId("host", h.id),
      cloudId: asId("cloud", h.cloudId),
      name: h.name,
      status: hostStatus(h.lastSeenAt, now),
      fabricAddress: h.fabricAddress,
      gatewayPublicAddress: h.gatewayPublicAddress,
      instanceCount: counted ? (live.get(h.id) ?? 0) : null,
    })),
  };
}
