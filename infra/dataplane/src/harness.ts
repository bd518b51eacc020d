import { FabricEndpoint, FabricHost, Inventory, NviMapping, startTsc, Tsc } from "@nvi/controller";
import { addInstance, InstanceState, labDown, labUp, LabState, readState, setController } from "@nvi/lab";

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
  instance(options: { host: string; name: string; ip: string; server?: boolean }, tenancy: Tenancy): Promise<InstanceState>;
  endpointOf(name: string): FabricEndpoint;
  /** stops the TSC (switches keep their flows: fail_mode=secure) */
  stopTsc(): Promise<void>;
  /** starts a fresh TSC (new mapping state, same inventory) on the same port; waits for every VEB */
  restartTsc(): Promise<void>;
  down(): Promise<void>;
}

export function fabricHostOf(h: LabState["hosts"][number]): FabricHost {
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
  };
}

export interface DataplaneOptions {
  datacenters: number;
  hostsPerDc: number;
  name?: string;
  idleTimeout?: number;
  log?: (line: string) => void;
}

export async function startDataplaneLab(options: DataplaneOptions): Promise<DataplaneLab> {
  const state = await labUp({ datacenters: options.datacenters, hostsPerDc: options.hostsPerDc, name: options.name, log: options.log });
  const inventory = new Inventory();
  for (const h of state.hosts) inventory.upsertHost(fabricHostOf(h));
  const endpoints = new Map<string, FabricEndpoint>();
  const makeMapping = (): NviMapping => new NviMapping({ inventory, idleTimeout: options.idleTimeout ?? 300 });
  let mapping = makeMapping();
  let port = 0;
  const launch = async (): Promise<Tsc> => {
    const tsc = await startTsc({ ...mapping.tscOptions(), host: state.mgmt.tscIp, port });
    mapping.attach(tsc);
    return tsc;
  };
  let tsc: Tsc;
  try {
    tsc = await launch();
    port = tsc.address.port;
    await setController(state.name, `tcp:${state.mgmt.tscIp}:${port}`);
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
      const e: FabricEndpoint = { id: o.name, ...tenancy, datapathId: BigInt(`0x${host.datapathId}`), port: inst.ofport, mac: inst.mac, ipv4: inst.ip, gateway: inst.gateway };
      endpoints.set(o.name, e);
      await mapping.plug(e);
      return inst;
    },
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
