import type { LeasedEndpoint } from "../mapping/flows.ts";
import type { FabricHost } from "../mapping/model.ts";

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
