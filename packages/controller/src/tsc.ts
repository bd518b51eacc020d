import { flowStatsRequest, MessageOf, OpenFlowLogger, OpenFlowServer, OpenFlowTlsOptions, SessionOptions, silentLogger, SwitchSession } from "@nvi/openflow";
import type { ControllerApp } from "./app.ts";
import { diffToFlowMods, resyncDiff, ResyncHooks } from "./diff.ts";
import { FlowSpec, fromFlowStats } from "./flow.ts";

export interface TscOptions extends ResyncHooks {
  /** OpenFlow listen port (default 6653; 0 picks a free one). */
  port?: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Mutual TLS: our key + cert, and the CA that signed every switch's certificate. */
  tls?: OpenFlowTlsOptions;
  // desiredFlows, beforeSync, keepFlow: see ResyncHooks (the NVI mapping's `tscOptions()` fills them)
  app?: ControllerApp;
  logger?: OpenFlowLogger;
  session?: SessionOptions;
  /** Reconcile a switch against its desired state when it connects (default true). */
  syncOnConnect?: boolean;
}

export interface SyncResult {
  datapathId: bigint;
  added: number;
  removed: number;
  unchanged: number;
  /** OFPT_ERRORs the switch returned for our flow-mods (empty = applied). */
  errors: MessageOf<"error">[];
}

export interface Tsc {
  readonly address: { host: string; port: number };
  /** Connected, ready switches by datapath id. */
  readonly switches: ReadonlyMap<bigint, SwitchSession>;
  /** Reconcile one switch now (e.g. after its desired state changed): read back, diff, apply, barrier. */
  sync(datapathId: bigint): Promise<SyncResult>;
  /** Wait until a switch with this datapath id is connected and synced. */
  waitForSwitch(datapathId: bigint, timeoutMs?: number): Promise<SwitchSession>;
  close(): Promise<void>;
}

/** Read every flow of a switch back over OpenFlow (multipart flow stats). */
export async function readFlows(sw: SwitchSession): Promise<FlowSpec[]> {
  const parts = await sw.multipart({ kind: "flowStats", ...flowStatsRequest() });
  return parts.flatMap((b) => (b.kind === "flowStats" ? b.flows.map(fromFlowStats) : []));
}

/** Start the Tenant SDN Controller: an OpenFlow 1.3 listener that keeps every switch at its desired state. */
export async function startTsc(options: TscOptions = {}): Promise<Tsc> {
  const log = options.logger ?? silentLogger;
  const app = options.app ?? {};
  const switches = new Map<bigint, SwitchSession>();
  const queues = new Map<bigint, Promise<unknown>>();
  const readyWaiters = new Map<bigint, ((s: SwitchSession) => void)[]>();
  /** Switches whose first sync after connecting has finished (waitForSwitch resolves at once for them). */
  const synced = new WeakSet<SwitchSession>();

  const guard = (what: string, fn: () => unknown): void => {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch((e: unknown) => log.warn(`app ${what} failed`, { error: String(e) }));
    } catch (e) {
      log.warn(`app ${what} threw`, { error: String(e) });
    }
  };

  const syncNow = async (sw: SwitchSession): Promise<SyncResult> => {
    const dpid = sw.datapathId ?? 0n;
    const diff = resyncDiff(dpid, await readFlows(sw), options);
    const errors = await sw.sendWithBarrier(diffToFlowMods(diff));
    const result = { datapathId: dpid, added: diff.add.length, removed: diff.remove.length, unchanged: diff.unchanged, errors };
    if (errors.length > 0) log.warn("switch rejected flow-mods: degraded", { datapathId: dpid.toString(16), errors: errors.length });
    else log.info("switch in sync", { datapathId: dpid.toString(16), added: result.added, removed: result.removed, unchanged: result.unchanged });
    return result;
  };

  /** One reconcile at a time per switch. */
  const sync = (dpid: bigint): Promise<SyncResult> => {
    const sw = switches.get(dpid);
    if (!sw) return Promise.reject(new Error(`switch ${dpid.toString(16)} is not connected`));
    const prev = queues.get(dpid) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => syncNow(sw));
    queues.set(dpid, next);
    return next;
  };

  const onSession = (sw: SwitchSession): void => {
    sw.on("ready", () => {
      const dpid = sw.datapathId ?? 0n;
      const old = switches.get(dpid);
      if (old && old !== sw) old.close("replaced by a new connection from the same datapath");
      switches.set(dpid, sw);
      const after = options.syncOnConnect === false ? Promise.resolve() : sync(dpid).then(() => undefined);
      after
        .then(() => {
          synced.add(sw);
          for (const w of readyWaiters.get(dpid) ?? []) w(sw);
          readyWaiters.delete(dpid);
          guard("onSwitchReady", () => app.onSwitchReady?.(sw));
        })
        .catch((e: unknown) => log.warn("initial sync failed", { datapathId: dpid.toString(16), error: String(e) }));
    });
    const onPacketIn = app.onPacketIn?.bind(app);
    sw.on("message", (m) => {
      if (m.type === "packetIn") {
        if (!onPacketIn) return;
        try {
          const r = onPacketIn(sw, m);
          if (r instanceof Promise) r.catch((e: unknown) => log.warn("app onPacketIn failed", { error: String(e) }));
        } catch (e) {
          log.warn("app onPacketIn threw", { error: String(e) });
        }
      }
      else if (m.type === "flowRemoved") guard("onFlowRemoved", () => app.onFlowRemoved?.(sw, m));
      else if (m.type === "portStatus") guard("onPortStatus", () => app.onPortStatus?.(sw, m));
      else if (m.type === "error") guard("onSwitchError", () => app.onSwitchError?.(sw, m));
    });
    sw.on("close", (reason) => {
      const dpid = sw.datapathId;
      if (dpid === undefined || switches.get(dpid) !== sw) return;
      switches.delete(dpid);
      queues.delete(dpid);
      guard("onSwitchGone", () => app.onSwitchGone?.(dpid, reason));
    });
  };

  const server = new OpenFlowServer({ ...options.session, logger: log, port: options.port ?? 6653, host: options.host ?? "127.0.0.1", tls: options.tls, onSession });
  const address = await server.listen();

  return {
    address,
    switches,
    sync,
    waitForSwitch: (dpid, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const current = switches.get(dpid);
        if (current && current.state === "ready" && synced.has(current)) {
          resolve(current);
          return;
        }
        const timer = setTimeout(() => reject(new Error(`switch ${dpid.toString(16)} did not connect within ${timeoutMs} ms`)), timeoutMs);
        const done = (s: SwitchSession): void => {
          clearTimeout(timer);
          resolve(s);
        };
        readyWaiters.set(dpid, [...(readyWaiters.get(dpid) ?? []), done]);
      }),
    close: () => server.close(),
  };
}
