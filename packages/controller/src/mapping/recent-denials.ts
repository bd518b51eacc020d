import type { FabricEndpoint, Inventory } from "./model.ts";

/**
 * Pairs whose packets were denied within the deny window (a short drop holds them): when a policy
 * change allows such a pair, the mapping sets it up at once, beside lifting the drops, instead of
 * waiting for its next packet to ask (the conversation that was refused is the one most likely to
 * try again: a retrying client, a health check). Bounded: the oldest are forgotten first.
 */
export class RecentDenials {
  private readonly byPair = new Map<string, { src: string; dst: string; until: number }>();

  constructor(private readonly cap = 4096) {}

  /** `src` sent to `dst` and was denied; its drop lasts until `until` (ms). */
  add(src: string, dst: string, until: number): void {
    const key = `${src}>${dst}`;
    this.byPair.delete(key);
    this.byPair.set(key, { src, dst, until });
    while (this.byPair.size > this.cap) this.byPair.delete(this.byPair.keys().next().value!);
  }

  /**
   * The pairs still in their window that `wanted` accepts (they are forgotten: set up now); the
   * expired ones are forgotten too, the rest are kept for a later change.
   */
  take(now: number, wanted: (src: string, dst: string) => boolean): { src: string; dst: string }[] {
    const out: { src: string; dst: string }[] = [];
    for (const [key, d] of this.byPair) {
      if (d.until <= now) this.byPair.delete(key);
      else if (wanted(d.src, d.dst)) {
        this.byPair.delete(key);
        out.push({ src: d.src, dst: d.dst });
      }
    }
    return out;
  }

  /**
   * The denied pairs (both endpoints still plugged, one of them of these tenants, or any when none
   * are named) that `allowed` now lets through: taken, to be set up.
   */
  allowedNow(
    inventory: Pick<Inventory, "endpoint">,
    orgIds: readonly string[] | undefined,
    now: number,
    allowed: (a: FabricEndpoint, b: FabricEndpoint) => boolean,
  ): [FabricEndpoint, FabricEndpoint][] {
    const orgs = orgIds ? new Set(orgIds) : undefined;
    const out: [FabricEndpoint, FabricEndpoint][] = [];
    this.take(now, (src, dst) => {
      const [a, b] = [inventory.endpoint(src), inventory.endpoint(dst)];
      const ok = !!a && !!b && (!orgs || orgs.has(a.tenantId) || orgs.has(b.tenantId)) && allowed(a, b);
      if (ok) out.push([a, b]);
      return ok;
    });
    return out;
  }

  get size(): number {
    return this.byPair.size;
  }
}
