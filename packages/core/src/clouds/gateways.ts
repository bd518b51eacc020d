import type { GatewayConfig, GatewayNat, HostGatewayDto, SetHostGatewayInput } from "@nvi/contracts";
import { asId } from "@nvi/contracts";
import { isUniqueViolation, type DbTx } from "@nvi/db";
import { ROLE_RANK, assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";

/**
 * Gateways (issue 15): a cloud whose hosts reach other clouds across the internet does it through
 * its gateway hosts, each declared with the public address other gateways reach it at (validated
 * public at the edge, unique across all organizations: one console = one set of gateways). The
 * WireGuard public key is the host's own report, approved like its datapath id (host-identity.ts:
 * bound at the first claim, unique console-wide); its private key never leaves the host.
 */
export async function setHostGateway(ctx: Ctx, input: SetHostGatewayInput): Promise<HostGatewayDto> {
  return declareGateway(ctx, input);
}

const STORED_NAT = { none: "none", "one-to-one": "one_to_one", "port-rewriting": "port_rewriting" } as const;

/**
 * Sets (or, `publicAddress: null`, clears) a host's gateway role. With `cloudId`, the host must be
 * of that cloud, a cloud that reaches others through gateways (cloud-gateways.ts).
 */
export async function declareGateway(
  ctx: Ctx,
  input: { hostId: string; cloudId?: string; publicAddress: string | null; nat?: GatewayNat | undefined },
): Promise<HostGatewayDto> {
  assertScope(ctx.actor.scopes, "clouds", "write");
  if (ROLE_RANK[ctx.actor.role] < ROLE_RANK.admin)
    throw new DomainError("ROLE_TOO_LOW", "only an owner or admin makes a host a gateway");
  try {
    return await ctx.db.$transaction(async (tx) => {
      const row = await tx.host.findFirst({
        where: { id: input.hostId, orgId: ctx.actor.orgId },
        select: {
          id: true,
          name: true,
          cloudId: true,
          wireguardPublicKey: true,
          gatewayPublicAddress: true,
          gatewayNat: true,
          cloud: { select: { name: true, interconnect: true } },
        },
      });
      if (!row) throw notFound("host");
      if (input.cloudId !== undefined) {
        // the cloud is checked first: another organization's cloud is not found, whatever the host
        const cloud = await tx.cloud.findFirst({
          where: { id: input.cloudId, orgId: ctx.actor.orgId },
          select: { name: true, interconnect: true },
        });
        if (!cloud) throw notFound("cloud");
        if (row.cloudId !== input.cloudId)
          throw new DomainError(
            "HOST_NOT_IN_CLOUD",
            `host ${row.name} is in cloud "${row.cloud.name}", not "${cloud.name}": a cloud's gateways are its own hosts`,
            { field: "hostId" },
          );
        if (input.publicAddress !== null && cloud.interconnect !== "gateway")
          throw new DomainError(
            "NOT_A_GATEWAY_CLOUD",
            `cloud "${cloud.name}" reaches other clouds on the routed fabric, not through gateways: it has no gateway hosts`,
            { field: "cloudId" },
          );
      }
      if (input.publicAddress === null && row.gatewayPublicAddress !== null && row.cloud.interconnect === "gateway")
        await assertNotLastGatewayOfASpan(tx, ctx.actor.orgId, row);
      const nat = input.publicAddress === null ? null : STORED_NAT[input.nat ?? natOf(row.gatewayNat)];
      await tx.host.update({
        where: { id: row.id },
        data: { gatewayPublicAddress: input.publicAddress, gatewayNat: nat },
      });
      await recordAudit(tx, ctx, subjectOf(ctx.actor), {
        action: "host.gateway.set",
        targetType: "host",
        targetId: row.id,
        before: { publicAddress: row.gatewayPublicAddress, nat: row.gatewayNat },
        after: { publicAddress: input.publicAddress, nat },
      });
      return {
        hostId: asId("host", row.id),
        publicAddress: input.publicAddress,
        wireguardPublicKey: row.wireguardPublicKey,
      };
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new DomainError("GATEWAY_ADDRESS_TAKEN", `another gateway already claims ${input.publicAddress ?? ""}`, {
        field: "publicAddress",
      });
    throw error;
  }
}

/**
 * A VPC that spans clouds (after adding a subnet in `cloud`) needs every cloud that reaches others
 * through gateways to have one; otherwise nothing is created and the error names the field.
 */
export async function assertCloudsJoined(
  tx: DbTx,
  vpc: { id: string; name: string },
  cloud: { id: string },
  field: string,
): Promise<void> {
  const existing = await tx.subnet.findMany({ where: { vpcId: vpc.id }, select: { cloudId: true } });
  const ids = [...new Set([...existing.map((s) => s.cloudId), cloud.id])].sort();
  if (ids.length < 2) return;
  // a gateway being removed holds its cloud FOR UPDATE (assertNotLastGatewayOfASpan): this waits for it
  // and then sees the cloud without it, and a removal after this sees the new subnet; never both passing
  await tx.$queryRaw`SELECT id FROM clouds WHERE id = ANY(${ids}::text[]) ORDER BY id FOR SHARE`;
  const clouds = await tx.cloud.findMany({
    where: { id: { in: ids }, interconnect: "gateway" },
    select: { name: true, hosts: { where: { gatewayPublicAddress: { not: null } }, select: { id: true }, take: 1 } },
  });
  const lacking = clouds.find((c) => c.hosts.length === 0);
  if (lacking)
    throw new DomainError(
      "NO_GATEWAY",
      `VPC "${vpc.name}" would span clouds, and cloud "${lacking.name}" reaches other clouds through gateways but has none: make one of its hosts a gateway first`,
      { field },
    );
}

/**
 * A cloud's last gateway stays one while a VPC spans that cloud and another: without it the VPC's
 * instances there would silently lose every peer in the other clouds. The refusal names the VPCs
 * and what to do instead.
 */
export async function assertNotLastGatewayOfASpan(
  tx: DbTx,
  orgId: string,
  host: { id: string; name: string; cloudId: string; cloud: { name: string } },
): Promise<void> {
  // two of the cloud's gateways removed at once must not each count the other as the one left
  await tx.$executeRaw`SELECT 1 FROM clouds WHERE id = ${host.cloudId} FOR UPDATE`;
  const others = await tx.host.count({
    where: { cloudId: host.cloudId, gatewayPublicAddress: { not: null }, id: { not: host.id } },
  });
  if (others > 0) return;
  const spanning = await tx.vpc.findMany({
    where: {
      orgId,
      AND: [
        { subnets: { some: { cloudId: host.cloudId } } },
        { subnets: { some: { cloudId: { not: host.cloudId } } } },
      ],
    },
    select: { name: true },
    orderBy: { name: "asc" },
    take: 4,
  });
  if (spanning.length === 0) return;
  const names =
    spanning
      .slice(0, 3)
      .map((v) => `"${v.name}"`)
      .join(", ") + (spanning.length > 3 ? " and more" : "");
  throw new DomainError(
    "LAST_GATEWAY",
    `host ${host.name} is the last gateway of cloud "${host.cloud.name}", and VPC ${names} spans that cloud and others: ` +
      `make another of its hosts a gateway first, or remove the VPC's subnets in "${host.cloud.name}"`,
    { field: "hostId" },
  );
}

/**
 * What a host's agent is told with every heartbeat (issue 15): whether its instances talk across
 * clouds (its cloud reaches others through gateways), and, when it is a gateway of such a cloud,
 * its peers: the other gateways of its organization's gateway clouds whose WireGuard key and
 * instance block are approved (host-identity.ts), never a claim. `gateway: null` takes a tunnel down.
 */
export async function gatewayRoleOf(
  deps: Pick<CoreDeps, "db">,
  hostId: string,
): Promise<{ gateway: GatewayConfig | null; crossCloud: boolean }> {
  const me = await deps.db.host.findUnique({
    where: { id: hostId },
    select: { orgId: true, cloudId: true, gatewayPublicAddress: true, cloud: { select: { interconnect: true } } },
  });
  const crossCloud = me?.cloud.interconnect === "gateway";
  if (!me || !crossCloud || !me.gatewayPublicAddress) return { gateway: null, crossCloud };
  const peers = await deps.db.host.findMany({
    where: {
      orgId: me.orgId,
      cloudId: { not: me.cloudId },
      cloud: { interconnect: "gateway" },
      gatewayPublicAddress: { not: null },
      wireguardPublicKey: { not: null },
      instanceBlock: { not: null },
    },
    select: { gatewayPublicAddress: true, wireguardPublicKey: true, instanceBlock: true },
    orderBy: { id: "asc" },
    take: 1000,
  });
  return {
    crossCloud,
    gateway: {
      publicAddress: me.gatewayPublicAddress,
      peers: peers.map((p) => ({
        publicKey: p.wireguardPublicKey ?? "",
        publicAddress: p.gatewayPublicAddress ?? "",
        allowedIps: p.instanceBlock ?? "",
      })),
    },
  };
}

/** The stored NAT kind in the API's words. */
export function natOf(stored: "none" | "one_to_one" | "port_rewriting" | null): GatewayNat {
  return stored === "one_to_one" ? "one-to-one" : stored === "port_rewriting" ? "port-rewriting" : "none";
}
