import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  FabricEndpoint,
  FabricHost,
  Inventory,
  NviMapping,
  startTsc,
  Tsc,
  type Admission,
  type SwitchClaim,
} from "@nvi/controller";
import { addInstance, InstanceState, labDown, labUp, LabState, readState, setController, vsctl } from "@nvi/lab";
import { GATEWAY_TUNNEL } from "@nvi/contracts";
import { createAuthority, issueWithKey } from "@nvi/pki";
import { setUpGateways } from "./gateways.ts";

/**
 * A lab wired to the real TSC running the NVI mapping: the TSC listens in the root namespace on
 * the lab's management address, every VEB points at it, and lab instances are plugged into the
 * mapping's inventory as endpoints of a tenant's VPC. What the tests and benchmarks share.
 */
export interface Tenancy {
  tenantId: string;
  vpcId: string;
}

export interface DataplaneLab {
  state: LabState;
  mapping: NviMapping;
  tsc: Tsc;
  port: number;
  /** adds a lab instance and plugs it into the mapping */
  instance(
    options: { host: string; name: string; ip: string; server?: boolean },
    tenancy: Tenancy,
  ): Promise<InstanceState>;
  endpointOf(name: string): FabricEndpoint;
  /** the internet topology: every gateway's agent handles a heartbeat answer (the same config again) */
  gatewayHeartbeat(): Promise<void>;
  /** stops the TSC (switches keep their flows: fail_mode=secure) */
  stopTsc(): Promise<void>;
  /** starts a fresh TSC (new mapping state, same inventory) on the same port; waits for every VEB */
  restartTsc(): Promise<void>;
  down(): Promise<void>;
}

/** A lab host as the mapping's inventory knows it; with `clouds`, each datacenter is a cloud of its own (the internet topology). */
export function fabricHostOf(h: LabState["hosts"][number], clouds = false): FabricHost {
  return {
    datapathId: BigInt(`0x${h.datapathId}`),
    name: h.id,
    datacenter: `dc${h.dc}`,
    fabricIp: h.fabricIp,
    fabricPrefixLen: h.fabricPrefixLen,
    fabricMac: h.fabricMac,
    gatewayMac: h.gatewayMac,
    fabricPort: 1,
    instanceBlock: h.instanceBlock,
    ...(clouds ? { cloud: `dc${h.dc}` } : {}),
    ...(h.gateway
      ? {
          gateway: {
            tunnelPort: GATEWAY_TUNNEL.ofport,
            tunnelMac: GATEWAY_TUNNEL.vebMac,
            stackMac: GATEWAY_TUNNEL.stackMac,
          },
        }
      : {}),
  };
}

/** TLS material of a lab run: the TSC's and, per host, each VEB's (files set with `ovs-vsctl set-ssl`). */
export interface LabPki {
  tsc: { key: string; cert: string; ca: string };
  /** host id (h1…) → the PEM files its VEB uses */
  switches: Map<string, { key: string; cert: string; ca: string }>;
}

/**
 * Mutual TLS for a lab without a console: a CA made here with the product's own code (`@nvi/pki`),
 * the TSC's certificate for the management address, and one switch certificate per host naming its
 * host id and datapath id, written into the host's OVS directory (0600) and set with `set-ssl`.
 */
export async function labPki(state: LabState): Promise<LabPki> {
  const now = new Date();
  const ca = await createAuthority({ name: `lab ${state.name} fabric CA`, now, days: 2 });
  const tsc = await issueWithKey(
    ca,
    { kind: "server", name: "nvi-tsc", ipAddresses: [state.mgmt.tscIp] },
    { now, days: 2 },
  );
  const switches = new Map<string, { key: string; cert: string; ca: string }>();
  await Promise.all(
    state.hosts.map(async (h) => {
      const c = await issueWithKey(ca, { kind: "switch", hostId: h.id, datapathId: h.datapathId }, { now, days: 2 });
      const dir = path.join(h.ovsDir, "pki");
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const files = {
        key: path.join(dir, "switch.key"),
        cert: path.join(dir, "switch.crt"),
        ca: path.join(dir, "ca.crt"),
      };
      await writeFile(files.key, c.keyPem, { mode: 0o600 });
      await writeFile(files.cert, c.certPem, { mode: 0o600 });
      await writeFile(files.ca, ca.certPem, { mode: 0o600 });
      await vsctl(h.ovsDir, "set-ssl", files.key, files.cert, files.ca);
      switches.set(h.id, files);
    }),
  );
  return { tsc: { key: tsc.keyPem, cert: tsc.certPem, ca: ca.certPem }, switches };
}

/** Admits exactly the lab's hosts: the certificate's host id must be the lab host holding that datapath id. */
export function labAdmission(state: LabState): (claim: SwitchClaim) => Promise<Admission> {
  return (claim) => {
    const host = state.hosts.find((h) => h.datapathId === claim.datapathId);
    const ok = host && claim.certificate?.hostId === host.id;
    return Promise.resolve(
      ok ? { admitted: true, hostId: host.id } : { admitted: false, reason: "not a host of this lab" },
    );
  };
}

export interface DataplaneOptions {
  datacenters: number;
  hostsPerDc: number;
  name?: string;
  idleTimeout?: number;
  log?: (line: string) => void;
  /** "internet": datacenters are clouds joined through their gateways only (infra/lab `topology`) */
  topology?: "routed" | "internet";
  /** the internet topology: gateway hosts per datacenter (infra/lab `gatewaysPerDc`) */
  gatewaysPerDc?: number;
}

export async function startDataplaneLab(options: DataplaneOptions): Promise<DataplaneLab> {
  const state = await labUp({
    datacenters: options.datacenters,
    hostsPerDc: options.hostsPerDc,
    name: options.name,
    log: options.log,
    topology: options.topology,
    gatewaysPerDc: options.gatewaysPerDc,
  });
  let gatewayHeartbeat = (): Promise<void> => Promise.resolve();
  if (options.topology === "internet") {
    try {
      gatewayHeartbeat = await setUpGateways(state);
    } catch (e) {
      await labDown(state.name).catch(() => undefined);
      throw e;
    }
  }
  const inventory = new Inventory();
  for (const h of state.hosts) inventory.upsertHost(fabricHostOf(h, options.topology === "internet"));
  const endpoints = new Map<string, FabricEndpoint>();
  const makeMapping = (): NviMapping => new NviMapping({ inventory, idleTimeout: options.idleTimeout ?? 300 });
  let mapping = makeMapping();
  let port = 0;
  let pki: LabPki | undefined;
  const launch = async (): Promise<Tsc> => {
    pki ??= await labPki(state);
    const tsc = await startTsc({
      ...mapping.tscOptions(),
      host: state.mgmt.tscIp,
      port,
      tls: pki.tsc,
      admit: labAdmission(state),
    });
    mapping.attach(tsc);
    return tsc;
  };
  let tsc: Tsc;
  try {
    tsc = await launch();
    port = tsc.address.port;
    await setController(state.name, `ssl:${state.mgmt.tscIp}:${port}`);
    await Promise.all(state.hosts.map((h) => tsc.waitForSwitch(BigInt(`0x${h.datapathId}`), 20_000)));
  } catch (e) {
    await labDown(state.name).catch(() => undefined);
    throw e;
  }
  const lab: DataplaneLab = {
    state,
    get mapping() {
      return mapping;
    },
    get tsc() {
      return tsc;
    },
    get port() {
      return port;
    },
    async instance(o, tenancy) {
      const inst = await addInstance(state.name, o);
      const host = state.hosts.find((h) => h.id === o.host);
      if (!host) throw new Error(`no host ${o.host}`);
      const e: FabricEndpoint = {
        id: o.name,
        ...tenancy,
        datapathId: BigInt(`0x${host.datapathId}`),
        port: inst.ofport,
        mac: inst.mac,
        ipv4: inst.ip,
        gateway: inst.gateway,
      };
      endpoints.set(o.name, e);
      await mapping.plug(e);
      return inst;
    },
    gatewayHeartbeat: () => gatewayHeartbeat(),
    endpointOf(name) {
      const e = endpoints.get(name);
      if (!e) throw new Error(`no endpoint ${name}`);
      return e;
    },
    async stopTsc() {
      await tsc.close();
    },
    async restartTsc() {
      mapping = makeMapping();
      tsc = await launch();
      await Promise.all(state.hosts.map((h) => tsc.waitForSwitch(BigInt(`0x${h.datapathId}`), 30_000)));
    },
    async down() {
      await tsc.close().catch(() => undefined);
      await labDown(state.name);
    },
  };
  return lab;
}

export { readState };
