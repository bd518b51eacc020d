import { crossCloud } from "./intercloud.ts";
import { changedPairs, MappingView } from "./judge.ts";
import type { OpenFlowLogger, PortDesc } from "@nvi/openflow";
import type { FabricEndpoint, FabricHost } from "./model.ts";
import { revocationsOf, type ActivePair } from "./pair-book.ts";
import type { Revocation } from "./revoke.ts";

/** Whether a pair goes across clouds (only those depend on gateways; an endpoint gone counts, to be revoked). */
function throughGateways(view: MappingView, p: ActivePair): boolean {
  const host = (id: string) => {
    const e = view.inventory.endpoint(id);
    return e && view.inventory.host(e.datapathId);
  };
  const [ha, hb] = [host(p.a), host(p.b)];
  return !ha || !hb || crossCloud(ha, hb);
}

/**
 * After a gateway's VEB went or came back (README "Several gateways per cloud"): the pairs whose
 * flows the view now shapes differently (their gateway choice changed) are revoked by cookie on
 * their VEBs and set up at once on the gateways now chosen, without waiting for their next packet.
 * The instances' own addresses and ports never change, so their established connections only see
 * the packets lost in between. Answers (and logs) how many pairs moved and how many were set up
 * again; a failure is logged, never thrown (it runs from the TSC's callbacks).
 */
export async function moveGatewayPairs(
  view: MappingView,
  pairs: readonly ActivePair[],
  act: {
    revoke: (pairs: Revocation[]) => Promise<void>;
    setup: (a: FabricEndpoint, b: FabricEndpoint) => Promise<boolean>;
    log: OpenFlowLogger;
  },
  gatewayDpid: bigint,
): Promise<{ pairs: number; setUp: number }> {
  const gateway = gatewayDpid.toString(16);
  try {
    const moved = changedPairs(
      view,
      pairs.filter((p) => throughGateways(view, p)),
    );
    if (moved.length === 0) return { pairs: 0, setUp: 0 };
    await act.revoke(revocationsOf(moved));
    const again = moved.flatMap((p) => {
      const [a, b] = [view.inventory.endpoint(p.a), view.inventory.endpoint(p.b)];
      return a && b ? [act.setup(a, b).catch(() => false)] : [];
    });
    const done = { pairs: moved.length, setUp: (await Promise.all(again)).filter(Boolean).length };
    act.log.info("pairs moved between gateways", { gateway, ...done });
    return done;
  } catch (e) {
    act.log.warn("pairs not moved between gateways", { gateway, error: (e as Error).message });
    return { pairs: 0, setUp: 0 };
  }
}

/** OpenFlow 1.3: a port deleted (OFPPR_DELETE), its link down (OFPPS_LINK_DOWN), administratively down (OFPPC_PORT_DOWN). */
const PORT_DELETED = 1;
const LINK_DOWN = 1;
const PORT_DOWN = 1;

/**
 * Gateways whose VEB is connected but whose way out is cut: the fabric NIC or the tunnel port
 * reported down (OFPT_PORT_STATUS). Such a gateway counts as down (`gatewayUp`) until the port
 * comes back; forgotten when its VEB goes (a reconnecting VEB starts as up).
 */
export class GatewayLinks {
  private readonly down = new Set<bigint>();

  isDown(dpid: bigint): boolean {
    return this.down.has(dpid);
  }

  /** A port status from VEB `dpid`: answers whether the gateway went down or came back with it. */
  portStatus(dpid: bigint, host: FabricHost | undefined, m: { reason: number; port: PortDesc }): boolean {
    if (!host?.gateway || (m.port.portNo !== host.fabricPort && m.port.portNo !== host.gateway.tunnelPort))
      return false;
    const cut = m.reason === PORT_DELETED || (m.port.state & LINK_DOWN) !== 0 || (m.port.config & PORT_DOWN) !== 0;
    if (cut === this.down.has(dpid)) return false;
    if (cut) this.down.add(dpid);
    else this.down.delete(dpid);
    return true;
  }

  forget(dpid: bigint): void {
    this.down.delete(dpid);
  }
}

/** At most one move of a gateway's pairs per this long, whatever its VEB reports (see `MoveDamper`). */
export const GATEWAY_MOVE_HOLD_MS = 1000;

/**
 * Bounds how often one gateway's port status can make the TSC move pairs. A VEB is hostile until
 * proven: one that flaps its fabric or tunnel port thousands of times a second would otherwise
 * make the shared TSC revoke and set up its pairs as often, at every other tenant's expense. The
 * first change of a quiet gateway moves at once (a real cut still fails over within the 3 s
 * budget); changes inside the hold that follows are folded into one more move when it ends, made
 * from the state then (the last report wins, nothing is lost). Each fold is counted and logged.
 */
export class MoveDamper {
  private readonly open = new Map<bigint, { folded: number; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly move: (dpid: bigint) => void,
    private readonly log: OpenFlowLogger,
    private readonly holdMs = GATEWAY_MOVE_HOLD_MS,
  ) {}

  /** A change of `dpid`'s link: moved now, or once when its hold ends. */
  changed(dpid: bigint): void {
    const window = this.open.get(dpid);
    if (window) {
      window.folded++;
      return;
    }
    this.move(dpid);
    this.hold(dpid);
  }

  /** The VEB went: its pending fold is dropped (its going moves the pairs by itself). */
  forget(dpid: bigint): void {
    const window = this.open.get(dpid);
    if (window) clearTimeout(window.timer);
    this.open.delete(dpid);
  }

  private hold(dpid: bigint): void {
    const timer = setTimeout(() => {
      const folded = this.open.get(dpid)?.folded ?? 0;
      this.open.delete(dpid);
      if (folded === 0) return;
      this.log.warn("gateway link changes folded into one move", {
        gateway: dpid.toString(16),
        changes: folded,
        holdMs: this.holdMs,
      });
      this.changed(dpid);
    }, this.holdMs);
    timer.unref?.();
    this.open.set(dpid, { folded: 0, timer });
  }
}
