export { NviMapping } from "./mapping.ts";
export type { MappingOptions, MappingStats } from "./mapping.ts";
export { Inventory, sameVpcPolicy, vpcTag } from "./model.ts";
export type { FabricEndpoint, FabricHost, PairPolicy, Verdict } from "./model.ts";
export { hostPipeline, pairFlows, VEB_MAC } from "./flows.ts";
export { FabricLeases, blockRange, inBlock } from "./leases.ts";
export { parseIpv4 } from "./packet.ts";
