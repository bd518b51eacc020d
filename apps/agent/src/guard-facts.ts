import { MAX_REPORTED_UNGUARDED_PORTS, type HostGuards } from "@nvi/contracts";
import type { FabricGuardState } from "./fabric-guard.ts";
import { GUARD_TABLE, datapathOf } from "./port-guard.ts";
import type { Runner } from "./runner.ts";
import { listBindings } from "./veb.ts";

/**
 * The guards as they are on the host right now, for the heartbeat's facts (the console shows them and
 * flags a host whose guard is gone): every instance port of the VEB checked against the ingress chains
 * nftables holds (on `netdev`), and the fabric egress guard as its keeper last found it (it re-checks
 * the chain each heartbeat, before the facts are read).
 */
export async function readGuardFacts(
  run: Runner,
  bridge: string,
  fabric: FabricGuardState | undefined,
  now: Date = new Date(),
): Promise<HostGuards> {
  const datapath = await datapathOf(run, bridge);
  const ports = (await listBindings(run, bridge)).map((b) => b.port);
  // no table (never made, or flushed): nothing is guarded
  const guarded =
    datapath === "netdev"
      ? guardedDevices(await run("nft", ["list", "table", "netdev", GUARD_TABLE]).catch(() => ""))
      : null;
  const unguarded = guarded ? ports.filter((p) => !guarded.has(p)).sort() : [];
  return {
    datapath,
    ports: {
      guard: datapath === "netdev" ? "nftables-ingress" : "kernel-datapath",
      plugged: ports.length,
      unguarded: unguarded.length,
      unguardedNames: unguarded.slice(0, MAX_REPORTED_UNGUARDED_PORTS),
    },
    fabric: fabricFacts(fabric),
    checkedAt: now.toISOString(),
  };
}

/**
 * The devices `nft list table netdev nvi_ports` shows a guard chain for: an ingress hook on the device
 * with policy drop and no rule in it (a rule could accept what the policy drops).
 */
export function guardedDevices(listing: string): Set<string> {
  const out = new Set<string>();
  const chain = /chain \S+ \{\s*type filter hook ingress device "?([^";\s]+)"? priority -?\d+; policy drop;\s*\}/g;
  for (const m of listing.matchAll(chain)) out.add(m[1]!);
  return out;
}

function fabricFacts(state: FabricGuardState | undefined): HostGuards["fabric"] {
  if (!state) return { state: "waiting-for-block", reason: "not checked yet" };
  if (state.ok) return { state: "active", reason: null };
  const reason = state.reason.replace(/[\u0000-\u001f\u007f]+/g, " ").slice(0, 300);
  return { state: state.waitingForBlock ? "waiting-for-block" : "missing", reason };
}
