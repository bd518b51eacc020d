import {
  ErrorType,
  flowStatsRequest,
  MessageOf,
  MeterModFailedCode,
  OpenFlowLogger,
  OpenFlowServer,
  OpenFlowTlsOptions,
  SessionOptions,
  silentLogger,
  SwitchSession,
} from "@nvi/openflow";
import { normalizeSerial, switchIdentityOf } from "@nvi/pki";
import type { ControllerApp } from "./app.ts";
import { DatapathSettle, type SettleOutcome } from "./datapath-settle.ts";
import { diffToFlowMods, resyncDiff, ResyncHooks } from "./diff.ts";
import { FlowSpec, fromFlowStats, meterMods } from "./flow.ts";

export interface TscOptions extends ResyncHooks {
  /** OpenFlow listen port (default 6653; 0 picks a free one). */
  port?: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /**
   * Mutual TLS: our key + cert, and the CA that signed every switch's certificate (the fabric CA,
   * `@nvi/pki`). A switch must present a certificate naming the datapath id it then reports.
   * Required unless `insecureTcp` is set.
   */
  tls?: OpenFlowTlsOptions;
  /** Plain TCP, switches unauthenticated: development only (logged loudly at start and every minute). */
  insecureTcp?: boolean;
  /**
   * Asked once a switch's identity is known (FEATURES_REPLY, certificate checked) and again by
   * `revalidate()`: may this switch be served? Nothing is sent to a switch before it says yes. The
   * worker answers from Postgres (the host exists, the certificate is its current one).
   */
  admit?: (claim: SwitchClaim) => Promise<Admission>;
  // desiredFlows, desiredMeters, beforeSync, keepFlow: see ResyncHooks (the NVI mapping's `tscOptions()` fills them)
  app?: ControllerApp;
  logger?: OpenFlowLogger;
  session?: SessionOptions;
  /** How long a host whose agent settles may take to confirm its datapath cache (default 2 s). */
  settleTimeoutMs?: number;
  /** Reconcile a switch against its desired state when it connects (default true). */
  syncOnConnect?: boolean;
}

/** Who a connecting switch says it is: the datapath id of its FEATURES_REPLY and what its certificate names (null over plain TCP). */
export interface SwitchClaim {
  /** 16 lower-case hex digits */
  datapathId: string;
  certificate: { hostId: string; datapathId: string; serial: string } | null;
}
export type Admission = { admitted: true; hostId: string } | { admitted: false; reason: string };

/** A meter ADD for an id the switch already holds: expected (the MODIFY after it sets the config). */
const meterExists = (e: MessageOf<"error">): boolean =>
  e.errorType === ErrorType.METER_MOD_FAILED && e.code === MeterModFailedCode.METER_EXISTS;

/** How often plain TCP is announced again in the log. */
const INSECURE_REMINDER_MS = 60_000;

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
  /**
   * Have the switch's host confirm that its datapath's cached flows reflect every flow change sent
   * before (its agent waits out a revalidation round): a barrier alone does not mean a deleted flow
   * has stopped forwarding. Never rejects.
   */
  settle(datapathId: bigint): Promise<SettleOutcome>;
  /** Wait until a switch with this datapath id is connected and synced. */
  waitForSwitch(datapathId: bigint, timeoutMs?: number): Promise<SwitchSession>;
  /** Close the sessions of a host (removed): by the host id its certificate names, or by datapath id. */
  drop(target: { hostId?: string; datapathId?: bigint }, reason: string): number;
  /** Ask `admit` again for every connected switch; close the ones no longer admitted. */
  revalidate(): Promise<void>;
  /** Serve a renewed certificate to new connections. */
  setTls(options: OpenFlowTlsOptions): void;
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
  const settler = new DatapathSettle(options.settleTimeoutMs);

  const guard = (what: string, fn: () => unknown): void => {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch((e: unknown) => log.warn(`app ${what} failed`, { error: String(e) }));
    } catch (e) {
      log.warn(`app ${what} threw`, { error: String(e) });
    }
  };

  /** Meters each session has been given (a reconnect starts from nothing: the switch may have lost or kept them). */
  const metersOf = new WeakMap<SwitchSession, Set<string>>();
  const configureMeters = async (sw: SwitchSession, dpid: bigint): Promise<MessageOf<"error">[]> => {
    const done = metersOf.get(sw) ?? new Set<string>();
    metersOf.set(sw, done);
    const fresh = (options.desiredMeters?.(dpid) ?? []).filter((m) => !done.has(JSON.stringify(m)));
    if (fresh.length === 0) return [];
    const errors = (await sw.sendWithBarrier(fresh.flatMap(meterMods))).filter((e) => !meterExists(e));
    if (errors.length === 0) for (const m of fresh) done.add(JSON.stringify(m));
    return errors;
  };

  const syncNow = async (sw: SwitchSession): Promise<SyncResult> => {
    const dpid = sw.datapathId ?? 0n;
    const diff = resyncDiff(dpid, await readFlows(sw), options);
    const meterErrors = await configureMeters(sw, dpid);
    const errors = [...meterErrors, ...(await sw.sendWithBarrier(diffToFlowMods(diff)))];
    const result = {
      datapathId: dpid,
      added: diff.add.length,
      removed: diff.remove.length,
      unchanged: diff.unchanged,
      errors,
    };
    if (errors.length > 0)
      log.warn("switch rejected flow-mods: degraded", { datapathId: dpid.toString(16), errors: errors.length });
    else
      log.info("switch in sync", {
        datapathId: dpid.toString(16),
        added: result.added,
        removed: result.removed,
        unchanged: result.unchanged,
      });
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

  /** Who a switch is, from its FEATURES_REPLY and its certificate; a reason to refuse it otherwise. */
  const claimOf = (sw: SwitchSession, dpid: bigint): SwitchClaim | string => {
    const datapathId = dpid.toString(16).padStart(16, "0");
    if (!options.tls) return { datapathId, certificate: null };
    const cert = sw.peerCertificate;
    const id = switchIdentityOf(cert?.subjectAltName);
    if (!cert || !id) return "its certificate names no host and datapath";
    if (id.datapathId !== datapathId) return `datapath id ${datapathId} is not its certificate's (${id.datapathId})`;
    return { datapathId, certificate: { ...id, serial: normalizeSerial(cert.serialNumber) } };
  };
  const refuse = (sw: SwitchSession, dpid: bigint | undefined, reason: string): void => {
    log.warn("switch refused", { peer: sw.peer, datapathId: dpid?.toString(16), reason });
    sw.close(`refused: ${reason}`);
  };
  /** Sessions holding a datapath id: admitted, or being admitted (so a second connection is refused, never the first evicted). */
  const holders = new Map<bigint, SwitchSession>();
  const hostOf = new WeakMap<SwitchSession, string>();

  /** Identity checked, admitted, and the only session of its datapath: then (and only then) it is served. */
  const admitThenServe = async (sw: SwitchSession): Promise<void> => {
    const dpid = sw.datapathId ?? 0n;
    const claim = claimOf(sw, dpid);
    if (typeof claim === "string") return refuse(sw, dpid, claim);
    const holder = holders.get(dpid);
    if (holder && holder !== sw && holder.state !== "closed")
      return refuse(sw, dpid, "this datapath is already connected: a second connection is refused");
    holders.set(dpid, sw);
    const verdict: Admission = options.admit
      ? await options
          .admit(claim)
          .catch((e: unknown): Admission => ({ admitted: false, reason: `admission failed: ${String(e)}` }))
      : { admitted: true, hostId: claim.certificate?.hostId ?? "" };
    if (sw.state === "closed") return;
    if (!verdict.admitted) {
      if (holders.get(dpid) === sw) holders.delete(dpid);
      return refuse(sw, dpid, verdict.reason);
    }
    hostOf.set(sw, verdict.hostId);
    serve(sw, dpid);
  };

  /** From here on the switch is ours: synced to its desired flows, its messages go to the app. */
  const serve = (sw: SwitchSession, dpid: bigint): void => {
    switches.set(dpid, sw);
    settler.probe(sw);
    const after = options.syncOnConnect === false ? Promise.resolve() : sync(dpid).then(() => undefined);
    after
      .then(() => {
        synced.add(sw);
        for (const w of readyWaiters.get(dpid) ?? []) w(sw);
        readyWaiters.delete(dpid);
        guard("onSwitchReady", () => app.onSwitchReady?.(sw));
      })
      .catch((e: unknown) => log.warn("initial sync failed", { datapathId: dpid.toString(16), error: String(e) }));
  };
  const served = (sw: SwitchSession): boolean => sw.datapathId !== undefined && switches.get(sw.datapathId) === sw;

  const onSession = (sw: SwitchSession): void => {
    sw.on("ready", () => void admitThenServe(sw));
    const onPacketIn = app.onPacketIn?.bind(app);
    sw.on("message", (m) => {
      // a switch not (yet) admitted gets nothing, and nothing it says reaches the app
      if (!served(sw)) return;
      if (m.type === "packetIn") {
        if (settler.onPacketIn(sw, m) || !onPacketIn) return;
        try {
          const r = onPacketIn(sw, m);
          if (r instanceof Promise) r.catch((e: unknown) => log.warn("app onPacketIn failed", { error: String(e) }));
        } catch (e) {
          log.warn("app onPacketIn threw", { error: String(e) });
        }
      } else if (m.type === "flowRemoved") guard("onFlowRemoved", () => app.onFlowRemoved?.(sw, m));
      else if (m.type === "portStatus") guard("onPortStatus", () => app.onPortStatus?.(sw, m));
      else if (m.type === "error") guard("onSwitchError", () => app.onSwitchError?.(sw, m));
    });
    sw.on("close", (reason) => {
      const dpid = sw.datapathId;
      if (dpid === undefined) return;
      if (holders.get(dpid) === sw) holders.delete(dpid);
      if (switches.get(dpid) !== sw) return;
      switches.delete(dpid);
      queues.delete(dpid);
      guard("onSwitchGone", () => app.onSwitchGone?.(dpid, reason));
    });
  };

  if (!options.tls && !options.insecureTcp)
    throw new Error("the TSC listens with mutual TLS: give `tls` (or `insecureTcp: true`, development only)");
  const server = new OpenFlowServer({
    ...options.session,
    logger: log,
    port: options.port ?? 6653,
    host: options.host ?? "127.0.0.1",
    tls: options.tls,
    onSession,
  });
  const address = await server.listen();
  const shout = (): void =>
    log.warn(
      "OpenFlow over PLAIN TCP: switches are NOT authenticated and anyone on the network can pose as one (TSC_INSECURE_TCP); development only, never in production",
      { ...address },
    );
  if (!options.tls) shout();
  const reminder = options.tls ? undefined : setInterval(shout, INSECURE_REMINDER_MS);
  reminder?.unref();

  const drop: Tsc["drop"] = (target, reason) => {
    let n = 0;
    for (const sw of [...server.sessions]) {
      const byHost = target.hostId !== undefined && hostOf.get(sw) === target.hostId;
      const byDpid = target.datapathId !== undefined && sw.datapathId === target.datapathId;
      if (!byHost && !byDpid) continue;
      sw.close(reason);
      n++;
    }
    if (n > 0)
      log.info("switch sessions dropped", {
        ...target,
        datapathId: target.datapathId?.toString(16),
        sessions: n,
        reason,
      });
    return n;
  };

  const revalidate = async (): Promise<void> => {
    const admit = options.admit;
    if (!admit) return;
    await Promise.all(
      [...switches.entries()].map(async ([dpid, sw]) => {
        const claim = claimOf(sw, dpid);
        const verdict =
          typeof claim === "string"
            ? { admitted: false as const, reason: claim }
            : await admit(claim).catch(() => null);
        // a failed lookup (database away) keeps the session: only a definite "no" drops it
        if (verdict && !verdict.admitted && switches.get(dpid) === sw) refuse(sw, dpid, verdict.reason);
      }),
    );
  };

  return {
    address,
    switches,
    sync,
    settle: (dpid) => settler.settle(switches.get(dpid)),
    drop,
    revalidate,
    setTls: (tls) => server.setTls(tls),
    waitForSwitch: (dpid, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const current = switches.get(dpid);
        if (current && current.state === "ready" && synced.has(current)) {
          resolve(current);
          return;
        }
        const timer = setTimeout(
          () => reject(new Error(`switch ${dpid.toString(16)} did not connect within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const done = (s: SwitchSession): void => {
          clearTimeout(timer);
          resolve(s);
        };
        readyWaiters.set(dpid, [...(readyWaiters.get(dpid) ?? []), done]);
      }),
    close: () => {
      clearInterval(reminder);
      return server.close();
    },
  };
}
