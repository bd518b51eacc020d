import {
  DenyDto,
  GroupDto,
  MatrixDto,
  PeeringDto,
  PolicyChangeDto,
  PolicyExplanationDto,
  RealizationDto,
  RuleDto,
} from "@nvi/contracts";
import {
  CreateDenyInput,
  CreateGroupInput,
  CreateRuleInput,
  DenyRef,
  ExplainInput,
  GroupRef,
  ListGroupsInput,
  ListRulesInput,
  MatrixInput,
  PeeringRef,
  PlugInput,
  RequestPeeringInput,
  RuleRef,
  SetLabelsInput,
  UpdateGroupInput,
  UpdateRuleInput,
  createDeny,
  createGroup,
  createRule,
  decidePeering,
  deleteDeny,
  deleteGroup,
  deletePeering,
  deleteRule,
  explainReachability,
  listDenies,
  listGroups,
  listPeerings,
  listRealization,
  listRules,
  plugGroups,
  policyMatrix,
  requestPeering,
  setInstanceLabels,
  unplugGroups,
  updateGroup,
  updateRule,
} from "@nvi/core";
import { z } from "zod";
import { authedProcedure, router } from "../trpc.ts";
import { queueOf } from "./instances.ts";
import { rest } from "./meta.ts";

const P = "policies";
const change =
  " Answers with the instance pairs that gain or lose access; with preview, nothing is kept (policies:write)";

export const groupRouter = router({
  list: authedProcedure
    .meta(
      rest(
        "GET",
        "/groups",
        P,
        "Groups of instances (by label and/or by hand), optionally of one VPC, with their members now",
      ),
    )
    .input(ListGroupsInput)
    .output(z.array(GroupDto))
    .query(({ ctx, input }) => listGroups(ctx.core, input)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/groups",
        P,
        `Create a group in a VPC: matchLabels ({} = every instance) and/or memberIds.${change}`,
      ),
    )
    .input(CreateGroupInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => createGroup(ctx.core, queueOf(ctx), input)),
  update: authedProcedure
    .meta(rest("PATCH", "/groups/{groupId}", P, `Rename a group or change who is in it.${change}`))
    .input(UpdateGroupInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => updateGroup(ctx.core, queueOf(ctx), input)),
  delete: authedProcedure
    .meta(rest("DELETE", "/groups/{groupId}", P, `Delete a group and its rules.${change}`))
    .input(GroupRef)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => deleteGroup(ctx.core, queueOf(ctx), input)),
});

export const ruleRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/rules", P, "Allow rules (group → group, protocol, ports; stateful), optionally of one VPC"))
    .input(ListRulesInput)
    .output(z.array(RuleDto))
    .query(({ ctx, input }) => listRules(ctx.core, input)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/rules",
        P,
        `Allow srcGroupId (or a peered srcVpcId) → dstGroupId for a protocol and ports ("443", "8000-8080"); replies always pass.${change}`,
      ),
    )
    .input(CreateRuleInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => createRule(ctx.core, queueOf(ctx), input)),
  update: authedProcedure
    .meta(
      rest(
        "PATCH",
        "/rules/{ruleId}",
        P,
        `Change a rule's protocol, ports, direction, description, or turn it off.${change}`,
      ),
    )
    .input(UpdateRuleInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => updateRule(ctx.core, queueOf(ctx), input)),
  delete: authedProcedure
    .meta(rest("DELETE", "/rules/{ruleId}", P, `Delete a rule; what it allowed is revoked on every VEB.${change}`))
    .input(RuleRef)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => deleteRule(ctx.core, queueOf(ctx), input)),
});

export const denyRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/denies", P, "The organization's deny list, evaluated before every rule"))
    .input(z.void())
    .output(z.array(DenyDto))
    .query(({ ctx }) => listDenies(ctx.core)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/denies",
        P,
        `Never let instances labelled srcLabels open conversations to instances labelled dstLabels, whatever the rules say.${change}`,
      ),
    )
    .input(CreateDenyInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => createDeny(ctx.core, queueOf(ctx), input)),
  delete: authedProcedure
    .meta(rest("DELETE", "/denies/{denyId}", P, `Remove a deny entry.${change}`))
    .input(DenyRef)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => deleteDeny(ctx.core, queueOf(ctx), input)),
});

export const peeringRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/peerings", P, "VPC peerings this organization requested or was asked to accept"))
    .input(z.void())
    .output(z.array(PeeringDto))
    .query(({ ctx }) => listPeerings(ctx.core)),
  request: authedProcedure
    .meta(
      rest(
        "POST",
        "/peerings",
        P,
        `Peer your VPC with another (yours: active at once; another tenant's: pending until they accept). Overlapping ranges are refused.${change}`,
      ),
    )
    .input(RequestPeeringInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => requestPeering(ctx.core, queueOf(ctx), input)),
  accept: authedProcedure
    .meta(rest("POST", "/peerings/{peeringId}/accept", P, `Accept a peering asked of one of your VPCs.${change}`))
    .input(PeeringRef)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => decidePeering(ctx.core, queueOf(ctx), { ...input, accept: true })),
  reject: authedProcedure
    .meta(
      rest("POST", "/peerings/{peeringId}/reject", P, "Refuse a peering asked of one of your VPCs (policies:write)"),
    )
    .input(PeeringRef)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => decidePeering(ctx.core, queueOf(ctx), { ...input, accept: false })),
  delete: authedProcedure
    .meta(
      rest(
        "DELETE",
        "/peerings/{peeringId}",
        P,
        `End a peering (either side); rules across it go and its pairs are revoked.${change}`,
      ),
    )
    .input(PeeringRef)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => deletePeering(ctx.core, queueOf(ctx), input)),
});

export const policyRouter = router({
  matrix: authedProcedure
    .meta(
      rest(
        "GET",
        "/vpcs/{vpcId}/matrix",
        P,
        "The group × group matrix of a VPC: for each (from, to) plugged, partial or unplugged, the rules behind it and deny entries that override it",
      ),
    )
    .input(MatrixInput)
    .output(MatrixDto)
    .query(({ ctx, input }) => policyMatrix(ctx.core, input)),
  plug: authedProcedure
    .meta(
      rest(
        "POST",
        "/policy/plug",
        P,
        `Let srcGroupId open anything to dstGroupId (one rule, any protocol, one-way).${change}`,
      ),
    )
    .input(PlugInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => plugGroups(ctx.core, queueOf(ctx), input)),
  unplug: authedProcedure
    .meta(
      rest(
        "POST",
        "/policy/unplug",
        P,
        `Cut srcGroupId → dstGroupId: its rules go (a two-way rule keeps its other direction); flows are revoked by cookie on every VEB at once.${change}`,
      ),
    )
    .input(PlugInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => unplugGroups(ctx.core, queueOf(ctx), input)),
  explain: authedProcedure
    .meta(
      rest(
        "POST",
        "/instances/{instanceId}/policy-check",
        P,
        "Can this instance reach another (or an address) on a protocol/port, and why? Answered from configuration: the deny entry, the rules or the missing peering that decide it",
      ),
    )
    .input(ExplainInput)
    .output(PolicyExplanationDto)
    .mutation(({ ctx, input }) => explainReachability(ctx.core, input)),
  realization: authedProcedure
    .meta(
      rest(
        "GET",
        "/policy/realization",
        P,
        "Per host: pair flows the TSC last read back from the VEB, and drift against policy (stale flows found and deleted, flows missing)",
      ),
    )
    .input(z.void())
    .output(z.array(RealizationDto))
    .query(({ ctx }) => listRealization(ctx.core)),
  setLabels: authedProcedure
    .meta(
      rest(
        "PUT",
        "/instances/{instanceId}/labels",
        P,
        `Replace an instance's labels (they decide label-matched groups).${change} (and instances:write)`,
      ),
    )
    .input(SetLabelsInput)
    .output(PolicyChangeDto)
    .mutation(({ ctx, input }) => setInstanceLabels(ctx.core, queueOf(ctx), input)),
});
