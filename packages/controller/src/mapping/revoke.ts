import { EthType, flowMod, FlowMod, Match } from "@nvi/openflow";
import { COOKIE_KIND_TAG_MASK, COOKIE_OWNER_MASK, STAGES, taggedCookie } from "../tables.ts";
import { pairTag } from "./flows.ts";
import type { FabricEndpoint } from "./model.ts";
import { vpcTag } from "./model.ts";

/**
 * Pure builders of what the mapping deletes: a pair's flows by its cookie, short drops lifted,
 * an unplugged endpoint's leftovers swept. Flow-mods out, nothing sent.
 */

/** A pair to revoke and the VEBs its flows live on. */
export interface Revocation {
  a: string;
  b: string;
  dpids: bigint[];
}

/** Delete a pair's flows by its cookie, in the tables pair flows live in. */
export function revokeMods(a: string, b: string): FlowMod[] {
  const cookie = taggedCookie("MAPPING", pairTag(a, b));
  return [STAGES.FORWARD.table, STAGES.REPLY.table].map((tableId) =>
    flowMod({ command: "delete", tableId, cookie, cookieMask: COOKIE_KIND_TAG_MASK, match: {} }),
  );
}

/** Per VEB, the deletions that revoke these pairs (both directions, every table they use). */
export function revocationMods(pairs: readonly Revocation[]): Map<bigint, FlowMod[]> {
  const perSwitch = new Map<bigint, FlowMod[]>();
  for (const p of pairs)
    for (const dpid of new Set(p.dpids)) perSwitch.set(dpid, [...(perSwitch.get(dpid) ?? []), ...revokeMods(p.a, p.b)]);
  return perSwitch;
}

/** Lift the short drops these VPCs' instances got (all drops, rate-limit ones included, when none are named), optionally only towards one address. */
export function denyLiftMods(vpcs: readonly string[] | undefined, match: Match = {}): FlowMod[] {
  return vpcs === undefined
    ? [
        flowMod({
          command: "delete",
          tableId: STAGES.FORWARD.table,
          cookie: taggedCookie("DENY", 0),
          cookieMask: COOKIE_OWNER_MASK | (0xffn << 40n),
          match,
        }),
      ]
    : vpcs.map((v) =>
        flowMod({
          command: "delete",
          tableId: STAGES.FORWARD.table,
          cookie: taggedCookie("DENY", vpcTag(v)),
          cookieMask: COOKIE_KIND_TAG_MASK,
          match,
        }),
      );
}

/** An instance now holds `ipv4` in one of `vpcs`: the drops its peers got for that address go. */
export function arrivalLiftMods(vpcs: readonly string[], ipv4: string): FlowMod[] {
  return denyLiftMods(vpcs, { ethType: EthType.IPV4, ipv4Dst: ipv4 });
}

/**
 * Whatever the pair table missed for an unplugged endpoint (a setup still in flight): mapping
 * flows to or from its fabric address on every VEB, and on its own VEB those entering from its port.
 */
export function sweepMods(e: Pick<FabricEndpoint, "port">, fabricIp: string | undefined, onItsVeb: boolean): FlowMod[] {
  const kindOnly = { cookie: taggedCookie("MAPPING", 0), cookieMask: COOKIE_OWNER_MASK | (0xffn << 40n) };
  const everywhere = fabricIp
    ? (["ipv4Src", "ipv4Dst"] as const).map((field) =>
        flowMod({
          command: "delete",
          tableId: STAGES.FORWARD.table,
          ...kindOnly,
          match: { ethType: EthType.IPV4, [field]: fabricIp },
        }),
      )
    : [];
  if (!onItsVeb) return everywhere;
  return [
    ...everywhere,
    ...[STAGES.FORWARD.table, STAGES.REPLY.table].map((tableId) =>
      flowMod({ command: "delete", tableId, ...kindOnly, match: { inPort: e.port } }),
    ),
  ];
}

/**
 * A policy change on the connected VEBs: each lifts the named VPCs' short drops and deletes the
 * pairs being revoked that touch it; `revoked` counts those pairs per VEB.
 */
export function policyChangeMods(
  connected: readonly bigint[],
  revoke: readonly Revocation[],
  liftDenyVpcs: readonly string[] | undefined,
): Map<bigint, { mods: FlowMod[]; revoked: number }> {
  const perSwitch = new Map<bigint, { mods: FlowMod[]; revoked: number }>();
  for (const dpid of connected) perSwitch.set(dpid, { mods: denyLiftMods(liftDenyVpcs), revoked: 0 });
  for (const p of revoke) {
    for (const dpid of new Set(p.dpids)) {
      const entry = perSwitch.get(dpid);
      if (!entry) continue;
      entry.mods.push(...revokeMods(p.a, p.b));
      entry.revoked++;
    }
  }
  return perSwitch;
}

/** The connected VEBs a policy change touches: all (the full recompute), or those of its revoked pairs and of the named VPCs' instances (where their short drops live). */
export function touchedVebs(
  connected: bigint[],
  inventory: { endpointsInVpc(vpcId: string): readonly { datapathId: bigint }[] },
  o: { orgIds: readonly string[] | undefined; revoke: readonly Revocation[]; vpcs: readonly string[] | undefined },
): bigint[] {
  if (o.orgIds === undefined || o.vpcs === undefined) return connected;
  const touched = new Set([
    ...o.revoke.flatMap((p) => p.dpids),
    ...o.vpcs.flatMap((v) => inventory.endpointsInVpc(v).map((e) => e.datapathId)),
  ]);
  return connected.filter((d) => touched.has(d));
}
