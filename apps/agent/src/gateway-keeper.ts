import type { GatewayConfig, GatewayLink } from "@nvi/contracts";
import { applyGateway, linksOf, networkOf, removeGateway, type GatewayTarget } from "./gateway.ts";
import { GatewayProber, tunnelAddressOf } from "./gateway-probe.ts";
import { LinkWatch } from "./link-watch.ts";
import type { Runner } from "./runner.ts";
import { WireguardWatch } from "./wireguard-watch.ts";

/**
 * Keeps the gateway as the console last said (every heartbeat answer): set up or brought to the
 * config, or taken down when the answer says the host is no gateway; logs changes, never keys. A
 * failure is logged and tried again at the next heartbeat; it never stops the agent.
 */
export class GatewayKeeper {
  private last = "";
  /** the peers' endpoints this agent set (applyGateway): never re-set while the console's stay */
  private readonly endpoints = new Map<string, string>();
  /** the links as last read (null: not a gateway) */
  private read: GatewayLink[] | null = null;
  /** what the console last said, set up again when wireguard-go dies (restart) */
  private wanted: Parameters<GatewayKeeper["keep"]> | null = null;
  /** one setup at a time: a heartbeat's and a restart's never interleave */
  private queue: Promise<void> = Promise.resolve();
  constructor(
    private readonly run: Runner,
    private readonly target: Pick<GatewayTarget, "bridge" | "wgIf" | "keyFile">,
    private readonly log: (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void,
    /** measures each link on its own timer; the heartbeat only reads its last results */
    readonly prober = new GatewayProber(run),
    /** pings each peer twice a second: its verdict (`up`) rides on each link and reaches the TSC (link-watch.ts) */
    readonly watch = new LinkWatch(run, () => undefined),
    /** watches wireguard-go; the agent's main wires its deaths to `restart` (absent: the next heartbeat notices) */
    readonly wireguard?: WireguardWatch,
  ) {}

  /** wireguard-go died: the whole tunnel is set up again at once, as the console last said. */
  restart(): Promise<void> {
    const wanted = this.wanted;
    return wanted ? this.keep(...wanted) : Promise.resolve();
  }

  /** The links for the heartbeat's facts: as last read, with the watch's verdict as it is now. */
  get links(): GatewayLink[] | null {
    return (
      this.read?.map((l) => {
        const up = this.watch.verdict(l.peerAddress);
        return up === undefined ? l : { ...l, up };
      }) ?? null
    );
  }

  keep(
    config: GatewayConfig | null,
    facts: { instanceBlock: string | null; fabricAddress: string | null; fabricPrefixLen: number | null },
  ): Promise<void> {
    this.wanted = config ? [config, facts] : null;
    const next = this.queue.then(() => this.apply(config, facts));
    this.queue = next;
    return next;
  }

  private async apply(
    config: GatewayConfig | null,
    facts: { instanceBlock: string | null; fabricAddress: string | null; fabricPrefixLen: number | null },
  ): Promise<void> {
    try {
      if (!config) {
        this.wireguard?.stop();
        if (await removeGateway(this.run, this.target)) this.log("info", "gateway taken down");
        this.endpoints.clear();
        this.prober.target(null);
        this.watch.target(null);
        this.last = "";
        this.read = null;
        return;
      }
      if (!facts.instanceBlock || !facts.fabricAddress || !facts.fabricPrefixLen)
        throw new Error("the host has no instance block or fabric address yet");
      const fabricNetwork = networkOf(facts.fabricAddress, facts.fabricPrefixLen);
      const done = await applyGateway(
        this.run,
        { ...this.target, instanceBlock: facts.instanceBlock, fabricNetwork },
        config,
        this.endpoints,
        this.wireguard,
      );
      const summary = JSON.stringify({
        publicAddress: config.publicAddress,
        peers: config.peers.map((p) => p.publicAddress),
      });
      if (summary !== this.last)
        this.log("info", "gateway ready", {
          publicAddress: config.publicAddress,
          peers: done.peers,
          keepalive: done.keepalive,
        });
      this.last = summary;
      const watched = {
        source: tunnelAddressOf(facts.instanceBlock),
        peers: config.peers.map((p) => ({
          publicAddress: p.publicAddress,
          tunnelAddress: tunnelAddressOf(p.allowedIps),
        })),
      };
      this.prober.target({ wgIf: this.target.wgIf, ...watched });
      this.watch.target(watched);
      this.read = linksOf(await this.run("wg", ["show", this.target.wgIf, "dump"]), config).map((l) => ({
        ...l,
        ...this.prober.measurement(l.peerAddress),
      }));
    } catch (error) {
      this.last = "";
      this.log("warn", "gateway setup failed; retrying at the next heartbeat", { error: (error as Error).message });
    }
  }
}

/**
 * The agent's keeper: its links watched twice a second (a link that goes down or comes back wakes
 * the heartbeat) and its wireguard-go watched (one that dies is started again at once, with backoff
 * while it keeps dying, then the heartbeat is woken).
 */
export function agentGatewayKeeper(
  run: Runner,
  target: Pick<GatewayTarget, "bridge" | "wgIf" | "keyFile">,
  log: (level: "info" | "warn", msg: string, fields?: Record<string, unknown>) => void,
  wake: () => void,
): GatewayKeeper {
  const keeper: GatewayKeeper = new GatewayKeeper(
    run,
    target,
    log,
    new GatewayProber(run),
    new LinkWatch(run, (peer, up) => {
      log(up ? "info" : "warn", up ? "gateway link up" : "gateway link down", { peer });
      wake();
    }),
    new WireguardWatch({
      onDied: (death) => {
        log("warn", "wireguard-go exited; starting it again", { ...death });
        void keeper.restart().then(wake);
      },
    }),
  );
  return keeper;
}
