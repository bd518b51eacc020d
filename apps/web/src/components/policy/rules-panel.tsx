"use client";

import type { GroupDto, PeeringDto, RuleDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeRuleService } from "../../lib/policy-text.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { DataTable, WithDetail } from "../ui/data-table.tsx";
import { PageHeader } from "../ui/page-header.tsx";
import { RowActions } from "../ui/row-actions.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";
import { RuleEditor, peersOf } from "./rule-editor.tsx";

/** The VPC's allow rules (into its groups), with the editor; every change is previewed. */
export function RulesPanel({
  vpcId,
  groups,
  rules,
  peerings,
}: {
  vpcId: string;
  groups: GroupDto[];
  rules: RuleDto[];
  peerings: PeeringDto[];
}) {
  const trpc = useTRPC();
  const update = useMutation(trpc.rule.update.mutationOptions());
  const remove = useMutation(trpc.rule.delete.mutationOptions());
  const [editing, setEditing] = useState(false);
  const flow = usePolicyChange(() => setEditing(false));
  const groupName = (id: string | null) => groups.find((g) => g.id === id)?.name ?? id ?? "?";
  const sourceOf = (r: RuleDto) =>
    r.srcGroupId
      ? groupName(r.srcGroupId)
      : `VPC ${peersOf(vpcId, peerings).find((p) => p.vpcId === r.srcVpcId)?.name ?? r.srcVpcId}`;
  const label = (r: RuleDto) =>
    `${sourceOf(r)} ${r.bidirectional ? "↔" : "→"} ${groupName(r.dstGroupId)} ${describeRuleService(r)}`;
  return (
    <section aria-label="Rules">
      <PageHeader
        level={2}
        title="Rules"
        actions={
          !editing && (
            <button onClick={() => setEditing(true)} disabled={groups.length === 0} data-testid="rule-new">
              New rule
            </button>
          )
        }
      />
      {editing && (
        <RuleEditor
          vpcId={vpcId}
          groups={groups}
          peerings={peerings}
          flow={flow}
          onCancel={() => (setEditing(false), flow.cancel())}
        />
      )}
      <PolicyChangePanel flow={flow} testId="rule-change" />
      <DataTable
        testId="rules-table"
        rows={rules}
        rowKey={(r) => r.id}
        rowAttributes={(r) => ({ "data-testid": `rule-${r.id}`, "data-rule": label(r) })}
        empty={<p className="muted">No rules into this VPC&apos;s groups: nothing is allowed between them.</p>}
        columns={[
          { key: "from", header: "From", sort: sourceOf, cell: sourceOf },
          { key: "to", header: "To", sort: (r) => groupName(r.dstGroupId), cell: (r) => groupName(r.dstGroupId) },
          {
            key: "service",
            header: "Service",
            className: "mono",
            sort: describeRuleService,
            cell: describeRuleService,
          },
          { key: "direction", header: "Direction", cell: (r) => (r.bidirectional ? "two-way" : "one-way") },
          {
            key: "description",
            header: "Description",
            cell: (r) => <WithDetail main={r.description} detail={r.id} mono />,
          },
          {
            key: "enabled",
            header: "Enabled",
            sort: (r) => r.enabled,
            cell: (r) => (
              <label className="inline">
                <input
                  type="checkbox"
                  checked={r.enabled}
                  disabled={flow.busy}
                  aria-label={`enabled: ${label(r)}`}
                  onChange={(e) => {
                    const enabled = e.target.checked;
                    flow.start(`${enabled ? "Enable" : "Disable"} ${label(r)}`, ({ preview }) =>
                      update.mutateAsync({ ruleId: r.id, enabled, preview }),
                    );
                  }}
                />{" "}
                {r.enabled ? "on" : "off"}
              </label>
            ),
          },
        ]}
        actions={(r) => (
          <RowActions
            label={`Actions for rule ${label(r)}`}
            actions={[
              {
                label: "Delete",
                danger: true,
                disabled: flow.busy,
                onSelect: () =>
                  flow.start(`Delete ${label(r)}`, ({ preview }) => remove.mutateAsync({ ruleId: r.id, preview })),
              },
            ]}
          />
        )}
      />
    </section>
  );
}
