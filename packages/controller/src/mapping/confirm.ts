import type { VebApplied } from "@nvi/contracts";
import type { FlowMod } from "@nvi/openflow";
import type { SwitchPort } from "./switch-port.ts";

/**
 * One VEB's part of a policy change: its flow-mods, a barrier, and where it revoked pairs, its
 * host's word that the datapath cache let go of them. A barrier means the OpenFlow tables changed;
 * the datapath may still forward by its cached copy of a deleted flow until OVS revalidates it, so
 * a VEB that revoked is confirmed only once its host says so. A host with a settling agent that
 * does not (or cannot) confirm makes the VEB fail; one without such an agent says so in `datapath`.
 * Times count from `t0` (performance.now()).
 */
export async function confirmVeb(
  switches: SwitchPort,
  dpid: bigint,
  mods: FlowMod[],
  revoked: boolean,
  t0: number,
): Promise<Pick<VebApplied, "confirmedMs" | "barrierMs" | "datapath" | "error">> {
  const errors = await switches.sendWithBarrier(dpid, mods);
  const barrierMs = performance.now() - t0;
  const refused = errors.length > 0 ? `${errors.length} flow-mod(s) refused` : null;
  if (!revoked) return { confirmedMs: barrierMs, barrierMs, error: refused };
  const s = await switches.settle(dpid);
  return {
    confirmedMs: performance.now() - t0,
    barrierMs,
    datapath: s.settled
      ? `cached flows revalidated ${s.ms.toFixed(1)} ms after the barrier`
      : `cached flows not confirmed: ${s.reason}`,
    error: refused ?? (!s.settled && s.agent ? `the datapath's cached flows were not confirmed: ${s.reason}` : null),
  };
}
