import { TopologyDto } from "@nvi/contracts";
import { getTopology } from "@nvi/core";
import { z } from "zod";
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { read } from "./procedures.ts";

export const topologyRouter = router({
  get: read(
    rest(
      "GET",
      "/topology",
      "clouds",
      "What the topology canvas draws first: clouds, and their hosts with status, fabric address, gateway role and live instance count (no facts, no instance list)",
    ),
    z.void(),
    TopologyDto,
    getTopology,
  ),
});
