import { crossCloud } from "./intercloud.ts";
import { changedPairs, MappingView } from "./judge.ts";
import type { OpenFlowLogger, PortDesc } from "@nvi/openflow";
import type { FabricEndpoint, FabricHost, Inventory } from "./model.ts";
import { cutGateways, cutLinks, linkKey, type LinkEnds, type TunnelReport } from "./tunnel-health.ts";
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

/** How pairs are moved: revoked by cookie, then set up again. */
export interface MoveActs {
  revoke: (pairs: Revocation[]) => Promise<void>;
  setup: (a: FabricEndpoint, b: FabricEndpoint) => Promise<boolean>;
  log: OpenFlowLogger;
}

/**
 * After a gateway's VEB went or came back (README "Several gateways per cloud"), or a trusted direct
 * link between two clouds was set or removed (`cause` says which, for the log): the pairs whose
 * flows the view now shapes differently (their gateway choice changed) are revoked by cookie on
 * their VEBs and set up at once on the gateways now chosen, without waiting for their next packet.
 * The instances' own addresses and ports never change, so their established connections only see
 * the packets lost in between. Answers (and logs) how many pairs moved and how many were set up
 * again; a failure is logged, never thrown (it runs from the TSC's callbacks).
 */
export async function moveGatewayPairs(
  view: MappingView,
  pairs: readonly ActivePair[],
  act: MoveActs,
  cause: string,
): Promise<{ pairs: number; setUp: number }> {
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
    act.log.info("pairs moved between gateways", { cause, ...done });
    return done;
  } catch (e) {
    act.log.warn("pairs not moved between gateways", { cause, error: (e as Error).message });
    return { pairs: 0, setUp: 0 };
  }
}

/** OpenFlow 1.3: a port deleted (OFPPR_DELETE), its link down (OFPPS_LINK_DOWN), administratively down (OFPPC_PORT_DOWN). */
const PORT_DELETED = 1;
const LINK_DOWN = 1;
const PORT_DOWN = 1;

/**
 * Gateways whose VEB is connected but whose way out is cut: the fabric NIC or the tunnel port down
 * (read from the VEB's port descriptions when it connects, then from OFPT_PORT_STATUS), or the
 * tunnel itself declared cut by the gateways' link reports (`cutGateways`: wireguard-go killed, the
 * internet link cut). Such a gateway counts as down (`gatewayUp`) until both are good again. Every
 * change answers whether the gateway's state (down or not) changed, the cue to move its pairs.
 */
export class GatewayLinks {
  private readonly portDown = new Set<bigint>();
  private readonly tunnelCut = new Set<bigint>();
  private linksDown = new Map<string, LinkEnds>();

  isDown(dpid: bigint): boolean {
    return this.portDown.has(dpid) || this.tunnelCut.has(dpid);
  }

  /** Neither end of the link between gateways `a` and `b` says it is down. */
  linkUp(a: bigint, b: bigint): boolean {
    return !this.linksDown.has(linkKey(a, b));
  }

  /** The links down now (all of them, `cutLinks`): answers those whose state changed, and whether now down. */
  links(down: ReadonlyMap<string, LinkEnds>): { ends: LinkEnds; down: boolean }[] {
    const changed = [
      ...[...down].filter(([k]) => !this.linksDown.has(k)).map(([, ends]) => ({ ends, down: true })),
      ...[...this.linksDown].filter(([k]) => !down.has(k)).map(([, ends]) => ({ ends, down: false })),
    ];
    this.linksDown = new Map(down);
    return changed;
  }

  /** A port status from VEB `dpid`: answers whether the gateway went down or came back with it. */
  portStatus(dpid: bigint, host: FabricHost | undefined, m: { reason: number; port: PortDesc }): boolean {
    if (!host?.gateway || (m.port.portNo !== host.fabricPort && m.port.portNo !== host.gateway.tunnelPort))
      return false;
    return this.setPort(dpid, m.reason === PORT_DELETED || portCut(m.port));
  }

  /**
   * VEB `dpid` (re)connected: its fabric and tunnel ports as its port descriptions (OFPMP_PORT_DESC,
   * read in the handshake) say. A port missing or down makes the gateway down until a port status
   * brings it up: nothing learnt before the connection is trusted.
   */
  connected(dpid: bigint, host: FabricHost | undefined, ports: ReadonlyMap<number, PortDesc>): boolean {
    if (!host?.gateway) return false;
    const cut = [host.fabricPort, host.gateway.tunnelPort].some((n) => {
      const p = ports.get(n);
      return !p || portCut(p);
    });
    return this.setPort(dpid, cut);
  }

  /** The gateways whose tunnels are cut now (all of them: the others are not): answers those whose state changed. */
  tunnels(cut: ReadonlySet<bigint>): bigint[] {
    const changed: bigint[] = [];
    for (const dpid of new Set([...this.tunnelCut, ...cut])) {
      const before = this.isDown(dpid);
      if (cut.has(dpid)) this.tunnelCut.add(dpid);
      else this.tunnelCut.delete(dpid);
      if (this.isDown(dpid) !== before) changed.push(dpid);
    }
    return changed;
  }

  /** The VEB went: its ports are read again when it comes back (its tunnel reports stay: they are the agents'). */
  forget(dpid: bigint): void {
    this.portDown.delete(dpid);
  }

  private setPort(dpid: bigint, cut: boolean): boolean {
    const before = this.isDown(dpid);
    if (cut) this.portDown.add(dpid);
    else this.portDown.delete(dpid);
    return this.isDown(dpid) !== before;
  }
}

const portCut = (p: PortDesc): boolean => (p.state & LINK_DOWN) !== 0 || (p.config & PORT_DOWN) !== 0;

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

/**
 * What decides whether a connected gateway VEB carries pairs (`GatewayLinks`) and how often a change
 * of it moves them (`MoveDamper`), in one place: port status, port descriptions at (re)connection
 * and the gateways' tunnel reports all go through the same damper.
 */
export class GatewayWatch {
  private readonly links = new GatewayLinks();
  private readonly damper: MoveDamper;

  constructor(
    private readonly inventory: Inventory,
    private readonly move: (dpid: bigint) => void,
    private readonly log: OpenFlowLogger,
    holdMs?: number,
  ) {
    this.damper = new MoveDamper(move, log, holdMs);
  }

  isDown(dpid: bigint): boolean {
    return this.links.isDown(dpid);
  }

  linkUp(a: bigint, b: bigint): boolean {
    return this.links.linkUp(a, b);
  }

  portStatus(dpid: bigint, m: { reason: number; port: PortDesc }): void {
    if (this.links.portStatus(dpid, this.inventory.host(dpid), m)) this.damper.changed(dpid);
  }

  /**
   * The VEB is connected and in sync: its ports as it described them in the handshake decide whether
   * a gateway is up (one that comes back with its tunnel port down stays down), then its pairs move
   * at once (a VEB's return is not damped: its session's admission bounds it).
   */
  connected(dpid: bigint, ports: ReadonlyMap<number, PortDesc>): void {
    this.links.connected(dpid, this.inventory.host(dpid), ports);
    this.move(dpid);
  }

  /** Every tunnel report held now: answers the gateways cut; those whose state changed move their pairs. */
  tunnels(reports: readonly TunnelReport[]): bigint[] {
    const cut = cutGateways(this.inventory, reports);
    const moved = new Set(this.links.tunnels(cut));
    // a link whose state changed moves the pairs of that couple of gateways (a move re-judges every
    // pair across clouds); damped under the lower end's name, unless a gateway move covers it
    const linkMoves = new Set<bigint>();
    for (const link of this.links.links(cutLinks(this.inventory, reports))) {
      this.log.info(link.down ? "gateway link down" : "gateway link up again", {
        gateways: link.ends.map((d) => d.toString(16)),
      });
      if (!link.ends.some((d) => moved.has(d))) linkMoves.add(link.ends[0]);
    }
    for (const dpid of moved) {
      this.log.info(cut.has(dpid) ? "gateway tunnel cut" : "gateway tunnel up again", { gateway: dpid.toString(16) });
      this.damper.changed(dpid);
    }
    for (const dpid of linkMoves) this.damper.changed(dpid);
    return [...cut];
  }

  /** The VEB went: its port state and pending fold are dropped (its going moves the pairs by itself). */
  gone(dpid: bigint): void {
    this.links.forget(dpid);
    this.damper.forget(dpid);
  }
}
