import { z } from "zod";
import { CloudDto, HostStatus } from "./hosts.ts";
import { idRef } from "./ids.ts";

/**
 * A host as the topology canvas draws it (`topology.get`): its place, status, fabric address and
 * gateway role, and how many live instances it holds. No facts and no instance list: the canvas
 * asks for a host's instances (`instance.page` by host) only when it is zoomed in far enough to
 * show them.
 */
export const TopologyHostDto = z.object({
  id: idRef("host"),
  cloudId: idRef("cloud"),
  name: z.string(),
  status: HostStatus,
  fabricAddress: z.string().nullable(),
  gatewayPublicAddress: z.string().nullable(),
  /** instances on the host that are not terminated; null without the instances:read scope */
  instanceCount: z.number().int().nullable(),
});
export type TopologyHostDto = z.infer<typeof TopologyHostDto>;

/** What the Topology page draws first, in one request: the clouds and their hosts, counted. */
export const TopologyDto = z.object({
  clouds: z.array(CloudDto),
  hosts: z.array(TopologyHostDto),
});
export type TopologyDto = z.infer<typeof TopologyDto>;
