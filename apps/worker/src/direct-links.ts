import type { NviMapping } from "@nvi/controller";
import type { CoreDeps } from "@nvi/core";

/**
 * The pairs of gateway clouds declared joined by a trusted direct link (`cloud_links`, set by an
 * owner or admin of the organization owning both clouds: core's cloud-link-mode.ts), handed to the
 * mapping when they change; the mapping moves the pairs between those clouds to the new path at once.
 * Read at every fabric refresh, the first one before the TSC starts, so VEBs that reconnect after a
 * restart are judged against the links as declared.
 */
export class DirectLinks {
  /** what was last handed to the mapping (sorted), so a refresh hands only changes */
  private last = "";

  constructor(
    private readonly db: CoreDeps["db"],
    private readonly mapping: Pick<NviMapping, "setDirectLinks">,
    private readonly logger?: { info(msg: string, f?: Record<string, unknown>): void },
  ) {}

  async refresh(): Promise<void> {
    const rows = await this.db.cloudLink.findMany({
      where: { mode: "direct", cloudA: { interconnect: "gateway" }, cloudB: { interconnect: "gateway" } },
      select: { cloudAId: true, cloudBId: true },
    });
    const links = rows.map((l) => [l.cloudAId, l.cloudBId] as const).sort((x, y) => (x.join() < y.join() ? -1 : 1));
    const key = JSON.stringify(links);
    if (key === this.last) return;
    this.last = key;
    await this.mapping.setDirectLinks(links);
    this.logger?.info("trusted direct links between clouds", { links: links.length });
  }
}
