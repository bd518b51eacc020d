import { ReachabilityDto } from "@nvi/contracts";
import { CheckReachabilityInput, checkReachability } from "@nvi/core";
import { authedProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";

/** Live answers from the data path: a probe sent from inside an instance. */
export const reachabilityRouter = router({
  check: authedProcedure
    .meta(
      rest(
        "POST",
        "/instances/{instanceId}/reachability",
        "instances",
        "Can this instance reach another instance (or an address)? A live ICMP or TCP probe sent from inside the instance by its host's agent; open, refused or no-answer, with the round trip (instances:write)",
      ),
    )
    .input(CheckReachabilityInput)
    .output(ReachabilityDto)
    .mutation(({ ctx, input }) => checkReachability(ctx.core, input)),
});
