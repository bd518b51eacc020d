import { CheckReachabilityInput, ReachabilityDto, TraceDto, TraceInput } from "@nvi/contracts";
import { checkReachability, traceReachability } from "@nvi/core";
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { write } from "./procedures.ts";

/** Live answers from the data path: a probe sent from inside an instance. */
export const reachabilityRouter = router({
  check: write(
    rest(
      "POST",
      "/instances/{instanceId}/reachability",
      "instances",
      "Can this instance reach another instance (or an address)? A live ICMP or TCP probe sent from inside the instance by its host's agent (from inside a VM through its qemu-guest-agent; a booting VM or one whose guest has none is refused, saying why); open, refused or no-answer, with the round trip (instances:write)",
    ),
    CheckReachabilityInput,
    ReachabilityDto,
    checkReachability,
  ),
  trace: write(
    rest(
      "POST",
      "/instances/{instanceId}/trace",
      "instances",
      "Would a packet from this instance reach another (or an address)? Traced through the VEBs' installed flows with ofproto/trace (the source's, then the destination's), nothing sent; each rule hit is listed (policies:read)",
    ),
    TraceInput,
    TraceDto,
    traceReachability,
  ),
});
