import { DeletedDto, SubnetDto, VpcDto } from "@nvi/contracts";
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
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { read, write } from "./procedures.ts";

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
