import { DeletedDto, PolicyChangeDto, SubnetDto, VpcDto } from "@nvi/contracts";
import {
  CreateSubnetInput,
  CreateVpcInput,
  SetUnderlayDscpInput,
  SubnetRef,
  VpcRef,
  createSubnet,
  createVpc,
  deleteSubnet,
  deleteVpc,
  listSubnets,
  listVpcs,
  setUnderlayDscp,
} from "@nvi/core";
import { z } from "zod";
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { queued, read, write } from "./procedures.ts";

export const vpcRouter = router({
  list: read(rest("GET", "/vpcs", "vpcs", "VPCs of the organization"), z.void(), z.array(VpcDto), listVpcs),
  create: write(
    rest(
      "POST",
      "/vpcs",
      "vpcs",
      "Create a VPC: a private /8–/28 that does not overlap your other VPCs unless allowOverlap (vpcs:write)",
    ),
    CreateVpcInput,
    VpcDto,
    createVpc,
  ),
  setUnderlayDscp: queued(
    rest(
      "PUT",
      "/vpcs/{vpcId}/underlay-dscp",
      "vpcs",
      "Set the DSCP (0–63) the VPC's packets carry on the underlay; its pairs are re-marked on every VEB as a policy operation (vpcs:write and policies:write; preview: true shows the change and keeps nothing)",
    ),
    SetUnderlayDscpInput,
    PolicyChangeDto,
    setUnderlayDscp,
  ),
  delete: write(
    rest("DELETE", "/vpcs/{vpcId}", "vpcs", "Delete a VPC with no address in use (vpcs:write)"),
    VpcRef,
    DeletedDto,
    deleteVpc,
  ),
});

export const subnetRouter = router({
  list: read(
    rest("GET", "/vpcs/{vpcId}/subnets", "vpcs", "Subnets of a VPC, each placed in one cloud"),
    VpcRef,
    z.array(SubnetDto),
    listSubnets,
  ),
  create: write(
    rest(
      "POST",
      "/vpcs/{vpcId}/subnets",
      "vpcs",
      "Place part of a VPC in a cloud: a /16–/29 inside the VPC, apart from its other subnets (vpcs:write)",
    ),
    CreateSubnetInput,
    SubnetDto,
    createSubnet,
  ),
  delete: write(
    rest("DELETE", "/subnets/{subnetId}", "vpcs", "Delete a subnet with no address in use (vpcs:write)"),
    SubnetRef,
    DeletedDto,
    deleteSubnet,
  ),
});
