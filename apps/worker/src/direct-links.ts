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
    private readonly logger?: {
      info(msg: string, f?: Record<string, unknown>): void;
      warn(msg: string, f?: Record<string, unknown>): void;
    },
  ) {}

  /** Never throws: a failed read keeps the links as they were (the fabric refresh around it goes on). */
  async refresh(): Promise<void> {
    await this.read().catch((e: Error) => this.logger?.warn("direct links not read", { error: e.message }));
  }

  private async read(): Promise<void> {
    const rows = await this.db.cloudLink.findMany({
      where: { mode: "direct", cloudA: { interconnect: "gateway" }, cloudB: { interconnect: "gateway" } },
      orderBy: [{ cloudAId: "asc" }, { cloudBId: "asc" }],
      select: {
        orgId: true,
        cloudAId: true,
        cloudBId: true,
        cloudA: { select: { orgId: true } },
        cloudB: { select: { orgId: true } },
      },
    });
    // only a link between two clouds of the organization that declared it (the API writes no other;
    // a row that says otherwise is not believed)
    const links = rows
      .filter((l) => l.cloudAId !== l.cloudBId && l.cloudA.orgId === l.orgId && l.cloudB.orgId === l.orgId)
      .map((l) => [l.cloudAId, l.cloudBId] as const);
    const key = JSON.stringify(links);
    if (key === this.last) return;
    this.last = key;
    await this.mapping.setDirectLinks(links);
    this.logger?.info("trusted direct links between clouds", { links: links.length });
  }
}
