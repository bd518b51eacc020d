"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc/client.tsx";
import { useLiveUpdates } from "../live.tsx";
import { EmptyState } from "../ui/empty-state.tsx";
import { ErrorAlert } from "../ui/error-alert.tsx";
import { SelectField } from "../ui/form-card.tsx";
import { PageHeader } from "../ui/page-header.tsx";
import { DenyList } from "./deny-list.tsx";
import { ExplainCheck } from "./explain-check.tsx";
import { GroupsPanel } from "./groups-panel.tsx";
import { PeeringsPanel } from "./peerings-panel.tsx";
import { PolicyMatrix } from "./policy-matrix.tsx";
import { RealizationTable } from "./realization-table.tsx";
import { RulesPanel } from "./rules-panel.tsx";

/**
 * Connectivity policy, one VPC at a time: the group × group matrix, groups, rules, the question
 * "can A reach B, and why?", then the organization's deny list, peerings and what the VEBs hold.
 */
export function PoliciesView() {
  const trpc = useTRPC();
  useLiveUpdates();
  const vpcs = useQuery(trpc.vpc.list.queryOptions());
  const [choice, setChoice] = useState("");
  const vpc = vpcs.data?.find((v) => v.id === choice) ?? vpcs.data?.[0];
  const vpcId = vpc?.id ?? "";
  const enabled = vpcId !== "";
  const matrix = useQuery(trpc.policy.matrix.queryOptions({ vpcId }, { enabled }));
  const rules = useQuery(trpc.rule.list.queryOptions({ vpcId }, { enabled }));
  const instances = useQuery(trpc.instance.list.queryOptions({ vpcId }, { enabled }));
  const denies = useQuery(trpc.deny.list.queryOptions());
  const peerings = useQuery(trpc.peering.list.queryOptions());
  const live = (instances.data ?? []).filter((i) => i.status !== "terminated");
  const vpcPeerings = (peerings.data ?? []).filter((p) => p.requester.vpcId === vpcId || p.accepter.vpcId === vpcId);
  return (
    <>
      <PageHeader
        title="Policies"
        lead="Who may talk to whom. Plug one group into another; everything else is denied. A new VPC starts flat: its default group is plugged into itself."
        actions={
          (vpcs.data?.length ?? 0) > 0 && (
            <SelectField
              label="VPC"
              testId="policy-vpc"
              value={vpcId}
              onChange={setChoice}
              options={(vpcs.data ?? []).map((v) => ({ value: v.id, label: `${v.name} (${v.cidr})` }))}
            />
          )
        }
      />
      <ErrorAlert error={[vpcs.error, matrix.error, rules.error, instances.error, denies.error, peerings.error]} />
      {vpcs.data?.length === 0 && (
        <EmptyState title="No VPC to write policy for" action={{ href: "/vpcs", label: "Create a VPC" }}>
          <p>
            Policies group the instances of a VPC and plug one group into another with the protocols and ports they
            need. Unplugging cuts traffic at once.
          </p>
        </EmptyState>
      )}
      {vpc && matrix.data && (
        <>
          <section aria-label="Matrix">
            <h2>Who may open conversations to whom</h2>
            <PolicyMatrix matrix={matrix.data} rules={rules.data ?? []} denies={denies.data ?? []} />
          </section>
          <GroupsPanel vpcId={vpc.id} groups={matrix.data.groups} instances={live} />
          <RulesPanel vpcId={vpc.id} groups={matrix.data.groups} rules={rules.data ?? []} peerings={vpcPeerings} />
          <h2 id="explain">Ask</h2>
          <ExplainCheck key={vpc.id} instances={live} rules={rules.data ?? []} />
          <PeeringsPanel vpc={vpc} peerings={vpcPeerings} />
        </>
      )}
      {denies.data && <DenyList denies={denies.data} />}
      <RealizationTable />
    </>
  );
}
