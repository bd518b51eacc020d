import type { AddCloudGatewayInput, CloudGatewayDto, CloudGatewayRef } from "@nvi/contracts";
import { asId } from "@nvi/contracts";
import { assertScope } from "../access.ts";
import type { Ctx } from "../context.ts";
import { notFound } from "../errors.ts";
import { loadGateways, tunnelOf } from "./cloud-links.ts";
import { declareGateway } from "./gateways.ts";

/**
 * A cloud's gateway hosts (issue 15, "Several gateways per cloud"): any number of its own hosts,
 * each with its public address and how that address reaches it (gateways.ts). New connections
 * spread over the healthy ones in the TSC (packages/controller README, "Several gateways per cloud").
 */

const byName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name, "en", { numeric: true });

/** `cloud.gateways`: the cloud's gateways, each with its host's status and its tunnels to the other clouds' gateways. */
export async function listCloudGateways(ctx: Ctx, input: { cloudId: string }): Promise<CloudGatewayDto[]> {
  assertScope(ctx.actor.scopes, "clouds", "read");
  const cloud = await ctx.db.cloud.findFirst({
    where: { id: input.cloudId, orgId: ctx.actor.orgId },
    select: { id: true },
  });
  if (!cloud) throw notFound("cloud");
  const now = ctx.clock();
  const { clouds, gateways } = await loadGateways(ctx, now);
  const cloudName = new Map(clouds.map((c) => [c.id, c.name]));
  const mine = gateways.filter((g) => g.cloudId === cloud.id).sort(byName);
  const others = gateways.filter((g) => g.cloudId !== cloud.id).sort(byName);
  const keys = await ctx.db.host.findMany({
    where: { id: { in: mine.map((g) => g.id) } },
    select: { id: true, wireguardPublicKey: true },
  });
  const keyOf = new Map(keys.map((k) => [k.id, k.wireguardPublicKey]));
  return mine.map((g) => ({
    hostId: asId("host", g.id),
    name: g.name,
    publicAddress: g.publicAddress,
    nat: g.nat ?? "none",
    status: g.status,
    wireguardPublicKey: keyOf.get(g.id) ?? null,
    tunnels: others.map((o) => {
      const t = tunnelOf(g, o, now);
      return {
        peer: {
          hostId: asId("host", o.id),
          name: o.name,
          cloudName: cloudName.get(o.cloudId) ?? "",
          publicAddress: o.publicAddress,
        },
        state: t.state,
        reason: t.reason,
        rttMs: t.rttMs,
      };
    }),
  }));
}

/** `cloud.addGateway`: one of the cloud's own hosts becomes (or stays, at a new address or NAT) one of its gateways. */
export async function addCloudGateway(ctx: Ctx, input: AddCloudGatewayInput): Promise<CloudGatewayDto> {
  await declareGateway(ctx, input);
  const listed = await listCloudGateways(ctx, input);
  const added = listed.find((g) => g.hostId === input.hostId);
  if (!added) throw notFound("host");
  return added;
}

/** `cloud.removeGateway`: the host stays in the cloud, no longer a gateway (idempotent). */
export async function removeCloudGateway(ctx: Ctx, input: CloudGatewayRef): Promise<{ removed: true }> {
  await declareGateway(ctx, { ...input, publicAddress: null });
  return { removed: true };
}
