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
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { queued, read, write } from "./procedures.ts";

const P = "policies";
const change =
  " Answers with the instance pairs that gain or lose access; with preview, nothing is kept (policies:write)";

export const groupRouter = router({
  list: read(
    rest(
      "GET",
      "/groups",
      P,
      "Groups of instances (by label and/or by hand), optionally of one VPC, with their members now",
    ),
    ListGroupsInput,
    z.array(GroupDto),
    listGroups,
  ),
  create: queued(
    rest("POST", "/groups", P, `Create a group in a VPC: matchLabels ({} = every instance) and/or memberIds.${change}`),
    CreateGroupInput,
    PolicyChangeDto,
    createGroup,
  ),
  update: queued(
    rest("PATCH", "/groups/{groupId}", P, `Rename a group or change who is in it.${change}`),
    UpdateGroupInput,
    PolicyChangeDto,
    updateGroup,
  ),
  delete: queued(
    rest("DELETE", "/groups/{groupId}", P, `Delete a group and its rules.${change}`),
    GroupRef,
    PolicyChangeDto,
    deleteGroup,
  ),
});

export const ruleRouter = router({
  list: read(
    rest("GET", "/rules", P, "Allow rules (group → group, protocol, ports; stateful), optionally of one VPC"),
    ListRulesInput,
    z.array(RuleDto),
    listRules,
  ),
  create: queued(
    rest(
      "POST",
      "/rules",
      P,
      `Allow srcGroupId (or a peered srcVpcId) → dstGroupId for a protocol and ports ("443", "8000-8080"); replies always pass.${change}`,
    ),
    CreateRuleInput,
    PolicyChangeDto,
    createRule,
  ),
  update: queued(
    rest(
      "PATCH",
      "/rules/{ruleId}",
      P,
      `Change a rule's protocol, ports, direction, description, or turn it off.${change}`,
    ),
    UpdateRuleInput,
    PolicyChangeDto,
    updateRule,
  ),
  delete: queued(
    rest("DELETE", "/rules/{ruleId}", P, `Delete a rule; what it allowed is revoked on every VEB.${change}`),
    RuleRef,
    PolicyChangeDto,
    deleteRule,
  ),
});

export const denyRouter = router({
  list: read(
    rest("GET", "/denies", P, "The organization's deny list, evaluated before every rule"),
    z.void(),
    z.array(DenyDto),
    listDenies,
  ),
  create: queued(
    rest(
      "POST",
      "/denies",
      P,
      `Never let instances labelled srcLabels open conversations to instances labelled dstLabels, whatever the rules say.${change}`,
    ),
    CreateDenyInput,
    PolicyChangeDto,
    createDeny,
  ),
  delete: queued(
    rest("DELETE", "/denies/{denyId}", P, `Remove a deny entry.${change}`),
    DenyRef,
    PolicyChangeDto,
    deleteDeny,
  ),
});

export const peeringRouter = router({
  list: read(
    rest("GET", "/peerings", P, "VPC peerings this organization requested or was asked to accept"),
    z.void(),
    z.array(PeeringDto),
    listPeerings,
  ),
  request: queued(
    rest(
      "POST",
      "/peerings",
      P,
      `Peer your VPC with another (yours: active at once; another tenant's: pending until they accept). Overlapping ranges are refused.${change}`,
    ),
    RequestPeeringInput,
    PolicyChangeDto,
    requestPeering,
  ),
  accept: queued(
    rest("POST", "/peerings/{peeringId}/accept", P, `Accept a peering asked of one of your VPCs.${change}`),
    PeeringRef,
    PolicyChangeDto,
    (core, queue, input) => decidePeering(core, queue, { ...input, accept: true }),
  ),
  reject: queued(
    rest("POST", "/peerings/{peeringId}/reject", P, "Refuse a peering asked of one of your VPCs (policies:write)"),
    PeeringRef,
    PolicyChangeDto,
    (core, queue, input) => decidePeering(core, queue, { ...input, accept: false }),
  ),
  delete: queued(
    rest(
      "DELETE",
      "/peerings/{peeringId}",
      P,
      `End a peering (either side); rules across it go and its pairs are revoked.${change}`,
    ),
    PeeringRef,
    PolicyChangeDto,
    deletePeering,
  ),
});

export const policyRouter = router({
  matrix: read(
    rest(
      "GET",
      "/vpcs/{vpcId}/matrix",
      P,
      "The group × group matrix of a VPC: for each (from, to) plugged, partial or unplugged, the rules behind it and deny entries that override it",
    ),
    MatrixInput,
    MatrixDto,
    policyMatrix,
  ),
  plug: queued(
    rest(
      "POST",
      "/policy/plug",
      P,
      `Let srcGroupId open anything to dstGroupId (one rule, any protocol, one-way).${change}`,
    ),
    PlugInput,
    PolicyChangeDto,
    plugGroups,
  ),
  unplug: queued(
    rest(
      "POST",
      "/policy/unplug",
      P,
      `Cut srcGroupId → dstGroupId: its rules go (a two-way rule keeps its other direction); flows are revoked by cookie on every VEB at once.${change}`,
    ),
    PlugInput,
    PolicyChangeDto,
    unplugGroups,
  ),
  explain: write(
    rest(
      "POST",
      "/instances/{instanceId}/policy-check",
      P,
      "Can this instance reach another (or an address) on a protocol/port, and why? Answered from configuration: the deny entry, the rules or the missing peering that decide it",
    ),
    ExplainInput,
    PolicyExplanationDto,
    explainReachability,
  ),
  realization: read(
    rest(
      "GET",
      "/policy/realization",
      P,
      "Per host: pair flows the TSC last read back from the VEB, and drift against policy (stale flows found and deleted, flows missing)",
    ),
    z.void(),
    z.array(RealizationDto),
    listRealization,
  ),
  setLabels: queued(
    rest(
      "PUT",
      "/instances/{instanceId}/labels",
      P,
      `Replace an instance's labels (they decide label-matched groups).${change} (and instances:write)`,
    ),
    SetLabelsInput,
    PolicyChangeDto,
    setInstanceLabels,
  ),
});
