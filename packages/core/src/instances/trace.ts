import {
  FABRIC_OFPORT,
  TraceInput,
  VEB_MAC,
  type TraceDto,
  type TraceOutcome,
  type TraceRequest,
} from "@nvi/contracts";
import { z } from "zod";
import { assertScope } from "../access.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { askOnce } from "./reachability.ts";

/** `key=value` fields of an ovs-ofctl flow string. */
function fields(flow: string): Record<string, string> {
  return Object.fromEntries(
    flow.split(",").flatMap((p) => (p.includes("=") ? [p.split("=", 2) as [string, string]] : [])),
  );
}

async function traceOn(ctx: Ctx, hostId: string, t: TraceRequest): Promise<TraceOutcome> {
  const answer = await askOnce(ctx, hostId, { kind: "veb.trace", trace: t });
  if (!answer.ok || !answer.trace)
    throw new DomainError(
      "HOST_UNAVAILABLE",
      `the VEB could not be traced: ${answer.error ?? "the agent gave no trace"}`,
      { field: "instanceId" },
    );
  return answer.trace;
}

/**
 * "Can A reach B?" from the data path, without sending anything: the packet is traced through the
 * source VEB's installed flows (`ofproto/trace`) and, when it leaves for another host, through the
 * destination VEB's flows as it arrives rewritten. A pair with no flows yet goes to the TSC on its
 * first packet, and the summary says so: the configuration answer tells what the TSC will decide.
 */
export async function traceReachability(ctx: Ctx, input: z.input<typeof TraceInput>): Promise<TraceDto> {
  assertScope(ctx.actor.scopes, "policies", "read");
  const q = TraceInput.parse(input);
  const orgId = ctx.actor.orgId;
  const from = await ctx.db.instance.findFirst({
    where: { id: q.instanceId, orgId },
    include: { host: { select: { name: true } } },
  });
  if (!from) throw notFound("instance");
  if (from.status !== "running" || from.ofport === null)
    throw new DomainError(
      "INSTANCE_STATE",
      `instance ${from.name} is ${from.status}: a trace starts at a running instance's VEB port`,
      { field: "instanceId" },
    );
  const target =
    q.toInstanceId !== undefined
      ? await ctx.db.instance.findFirst({
          where: { id: q.toInstanceId, orgId, status: { not: "terminated" } },
          include: { host: { select: { name: true, fabricMac: true, nextHopMac: true } } },
        })
      : await ctx.db.instance.findFirst({
          where: { orgId, vpcId: from.vpcId, address: q.toAddress!, status: { not: "terminated" } },
          include: { host: { select: { name: true, fabricMac: true, nextHopMac: true } } },
        });
  if (q.toInstanceId !== undefined && !target)
    throw new DomainError("NOT_FOUND", "toInstanceId: instance not found", { field: "toInstanceId" });
  const toAddress = target?.address ?? q.toAddress!;
  const port = q.port ?? null;
  const first = await traceOn(ctx, from.hostId, {
    inPort: from.ofport,
    srcMac: from.mac,
    dstMac: VEB_MAC,
    srcIp: from.address,
    dstIp: toAddress,
    protocol: q.protocol,
    port,
  });
  const steps: TraceDto["steps"] = [{ hostName: from.host.name, enters: `instance port ${from.ofport}`, ...first }];
  let verdict: TraceDto["verdict"];
  let summary: string;
  const where = `${from.host.name}'s VEB`;
  if (first.verdict === "to-controller") {
    verdict = "to-controller";
    summary = `no flow for this conversation on ${where} yet: its first packet goes to the TSC, which installs the pair's flows only if policy allows it (see the configuration answer)`;
  } else if (first.verdict !== "forwarded") {
    verdict = first.verdict === "dropped" ? "dropped" : "unknown";
    summary = `${where} drops it (${first.hops.at(-1) ?? first.datapathActions})`;
  } else if (!target || target.hostId === from.hostId || first.finalFlow === null) {
    verdict = "delivered";
    summary = `${where} delivers it${target ? ` to ${target.name}` : ""} (${first.datapathActions})`;
  } else {
    const f = fields(first.finalFlow);
    // as the underlay hands it to the target host: addressed to its fabric MAC, straight from the
    // sending host on one segment, else from the target's router (what its ingress flow checks)
    const direct = f.dl_dst !== undefined && f.dl_dst === target.host.fabricMac;
    const arrives: TraceRequest = {
      inPort: FABRIC_OFPORT,
      srcMac: (direct ? f.dl_src : (target.host.nextHopMac ?? f.dl_src)) ?? VEB_MAC,
      dstMac: target.host.fabricMac ?? f.dl_dst ?? VEB_MAC,
      srcIp: f.nw_src ?? from.address,
      dstIp: f.nw_dst ?? toAddress,
      protocol: q.protocol,
      port,
    };
    const second = await traceOn(ctx, target.hostId, arrives);
    steps.push({
      hostName: target.host.name,
      enters: `fabric port ${FABRIC_OFPORT} as ${arrives.srcIp} → ${arrives.dstIp}`,
      ...second,
    });
    verdict =
      second.verdict === "forwarded"
        ? "delivered"
        : second.verdict === "to-controller"
          ? "to-controller"
          : second.verdict === "dropped"
            ? "dropped"
            : "unknown";
    summary =
      verdict === "delivered"
        ? `${where} rewrites it to fabric addresses ${arrives.srcIp} → ${arrives.dstIp} (no header added) and ${target.host.name}'s VEB restores it and delivers it to ${target.name}`
        : `${where} sends it across, and ${target.host.name}'s VEB ${verdict === "dropped" ? "drops it" : "does not deliver it"} (${second.hops.at(-1) ?? second.datapathActions})`;
  }
  return {
    from: { instanceId: from.id, name: from.name, address: from.address, hostName: from.host.name },
    to: {
      address: toAddress,
      instanceId: target?.id ?? null,
      name: target?.name ?? null,
      hostName: target?.host.name ?? null,
    },
    protocol: q.protocol,
    port,
    steps,
    verdict,
    summary,
    tracedAt: ctx.clock().toISOString(),
  };
}
