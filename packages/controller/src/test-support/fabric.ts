import type { LeasedEndpoint } from "../mapping/flows.ts";
import type { FabricEndpoint, FabricHost } from "../mapping/model.ts";

/**
 * The mapping tests' fabric, written once: host `n` of datacenter `dc` (its own /24 segment on the
 * underlay, `100.64.<dc>.<10+n>`, behind the router `…:01`) with the instance block `100.65.<n>.0/24`.
 */
export function fabricHost(n: number, dc = n): FabricHost {
  return {
    datapathId: BigInt(n),
    name: `h${n}`,
    datacenter: `dc${dc}`,
    fabricIp: `100.64.${dc}.${10 + n}`,
    fabricPrefixLen: 24,
    fabricMac: `02:00:64:40:0${dc}:${(10 + n).toString(16)}`,
    gatewayMac: `02:00:64:40:0${dc}:01`,
    fabricPort: 1,
    instanceBlock: `100.65.${n}.0/24`,
  };
}

/** An instance plugged into port `port` of host `h`, leased `fabricIp`; its MAC is `0a:00:00:00:00:<port>`. */
export function leasedEndpoint(
  id: string,
  h: FabricHost,
  port: number,
  ip: string,
  fabricIp: string,
  vpcId = "vpc_a",
  tenantId = "org_a",
): LeasedEndpoint {
  return {
    id,
    tenantId,
    vpcId,
    datapathId: h.datapathId,
    port,
    mac: `0a:00:00:00:00:${port.toString(16).padStart(2, "0")}`,
    ipv4: ip,
    gateway: "10.0.0.1",
    fabricIp,
  };
}

/** Instance `id` of tenant `org_<tenant>` (VPC `vpc_<tenant>`, gateway 10.0.0.1) on port `port` of `host`; its MAC is `0a:00:00:00:00:<port>`. */
export function tenantEndpoint(id: string, host: FabricHost, port: number, ipv4: string, tenant = "a"): FabricEndpoint {
  return {
    id,
    tenantId: `org_${tenant}`,
    vpcId: `vpc_${tenant}`,
    datapathId: host.datapathId,
    port,
    mac: `0a:00:00:00:00:${port.toString(16).padStart(2, "0")}`,
    ipv4,
    gateway: "10.0.0.1",
  };
}

/** Host `h` made a gateway of its cloud: its tunnel port `tunnelPort`, MACs numbered `n`. */
export const asGateway = (h: FabricHost, n: number, tunnelPort: number): FabricHost => ({
  ...h,
  gateway: { tunnelPort, tunnelMac: `06:00:64:47:00:0${n}`, stackMac: `02:00:64:47:00:0${n}` },
});
