import { SubnetDto, VpcDto } from "@nvi/contracts";
import {
  CreateSubnetInput,
  CreateVpcInput,
  SubnetRef,
  VpcRef,
  createSubnet,
  createVpc,
  deleteSubnet,
  deleteVpc,
  listSubnets,
  listVpcs,
} from "@nvi/core";
import { z } from "zod";
import { authedProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";

export const vpcRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/vpcs", "vpcs", "VPCs of the organization"))
    .input(z.void())
    .output(z.array(VpcDto))
    .query(({ ctx }) => listVpcs(ctx.core)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/vpcs",
        "vpcs",
        "Create a VPC: a private /8–/28 that does not overlap your other VPCs unless allowOverlap (vpcs:write)",
      ),
    )
    .input(CreateVpcInput)
    .output(VpcDto)
    .mutation(({ ctx, input }) => createVpc(ctx.core, input)),
  delete: authedProcedure
    .meta(rest("DELETE", "/vpcs/{vpcId}", "vpcs", "Delete a VPC with no address in use (vpcs:write)"))
    .input(VpcRef)
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deleteVpc(ctx.core, input)),
});

export const subnetRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/vpcs/{vpcId}/subnets", "vpcs", "Subnets of a VPC, each placed in one cloud"))
    .input(VpcRef)
    .output(z.array(SubnetDto))
    .query(({ ctx, input }) => listSubnets(ctx.core, input)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/vpcs/{vpcId}/subnets",
        "vpcs",
        "Place part of a VPC in a cloud: a /16–/29 inside the VPC, apart from its other subnets (vpcs:write)",
      ),
    )
    .input(CreateSubnetInput)
    .output(SubnetDto)
    .mutation(({ ctx, input }) => createSubnet(ctx.core, input)),
  delete: authedProcedure
    .meta(rest("DELETE", "/subnets/{subnetId}", "vpcs", "Delete a subnet with no address in use (vpcs:write)"))
    .input(SubnetRef)
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deleteSubnet(ctx.core, input)),
});
