import type { NviMapping } from "@nvi/controller";
import { listenForLinkChanges, tunnelReports, type CoreDeps } from "@nvi/core";

type Log = (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void;

/** Reports from gateways not heard from for this long are not read (the fabric forgets such hosts too). */
const HEARD_WITHIN_MS = 120_000;

/**
 * The gateways' link verdicts, from Postgres to the TSC (issue 15; core's link-reports.ts): each
 * `update()` reads every verdict held now and hands them to the mapping, which moves the pairs of a
 * gateway whose every link is down. One read at a time: changes that come during one make exactly
 * one more, so a burst of heartbeats costs two reads, whatever its size.
 */
export class TunnelFeed {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly deps: CoreDeps,
    private readonly mapping: Pick<NviMapping, "tunnelReports">,
    private readonly log: Log,
  ) {}

  update(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      do {
        this.again = false;
        await this.readOnce();
      } while (this.again);
    })().finally(() => (this.running = undefined));
    this.running = run;
    return run;
  }

  private async readOnce(): Promise<void> {
    try {
      const since = new Date(this.deps.clock().getTime() - HEARD_WITHIN_MS);
      const reports = await tunnelReports(this.deps, since);
      this.mapping.tunnelReports(
        reports.map((r) => ({ from: BigInt(`0x${r.from}`), peer: BigInt(`0x${r.peer}`), up: r.up })),
      );
    } catch (e) {
      this.log("warn", "gateway link reports not read", { error: (e as Error).message });
    }
  }
}

/** A heartbeat that changed a gateway's link verdicts reaches the TSC as it commits (LISTEN nvi_gateway_links). */
export function startTunnelFeed(o: { databaseUrl: string; feed: TunnelFeed; log: Log }): {
  close(): Promise<void>;
  listening: Promise<void>;
} {
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const channel = listenForLinkChanges(
    o.databaseUrl,
    () => void o.feed.update(),
    (e) =>
      o.log("warn", "gateway-link channel failed; reconnecting (the fabric refresh still reads them)", {
        error: e.message,
      }),
    () => listening(),
  );
  return { close: () => channel.close(), listening: ready };
}
