"use client";

import type { GroupDto, PeeringDto, RuleDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeRuleService } from "../../lib/policy-text.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";
import { RuleEditor, peersOf } from "./rule-editor.tsx";

/** The VPC's allow rules (into its groups), with the editor; every change is previewed. */
export function RulesPanel({ vpcId, groups, rules, peerings }: { vpcId: string; groups: GroupDto[]; rules: RuleDto[]; peerings: PeeringDto[] }) {
  const trpc = useTRPC();
  const update = useMutation(trpc.rule.update.mutationOptions());
  const remove = useMutation(trpc.rule.delete.mutationOptions());
  const [editing, setEditing] = useState(false);
  const flow = usePolicyChange(() => setEditing(false));
  const busy = flow.state?.phase === "previewing" || flow.state?.phase === "applying";
  const groupName = (id: string | null) => groups.find((g) => g.id === id)?.name ?? id ?? "?";
  const sourceOf = (r: RuleDto) => (r.srcGroupId ? groupName(r.srcGroupId) : `VPC ${peersOf(vpcId, peerings).find((p) => p.vpcId === r.srcVpcId)?.name ?? r.srcVpcId}`);
  const label = (r: RuleDto) => `${sourceOf(r)} ${r.bidirectional ? "↔" : "→"} ${groupName(r.dstGroupId)} ${describeRuleService(r)}`;
  return (
    <section aria-label="Rules">
      <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <h2>Rules</h2>
        {!editing && (
          <button onClick={() => setEditing(true)} disabled={groups.length === 0} data-testid="rule-new">
            New rule
          </button>
        )}
      </div>
      {editing && <RuleEditor vpcId={vpcId} groups={groups} peerings={peerings} flow={flow} onCancel={() => (setEditing(false), flow.cancel())} />}
      <PolicyChangePanel flow={flow} testId="rule-change" />
      {rules.length === 0 ? (
        <p className="muted">No rules into this VPC&apos;s groups: nothing is allowed between them.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="rules-table">
            <thead>
              <tr>
                <th>From</th>
                <th>To</th>
                <th>Service</th>
                <th>Direction</th>
                <th>Description</th>
                <th>Enabled</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <tr key={r.id} data-testid={`rule-${r.id}`} data-rule={label(r)}>
                  <td>{sourceOf(r)}</td>
                  <td>{groupName(r.dstGroupId)}</td>
                  <td className="mono">{describeRuleService(r)}</td>
                  <td>{r.bidirectional ? "two-way" : "one-way"}</td>
                  <td>
                    {r.description}
                    <div className="muted mono">{r.id}</div>
                  </td>
                  <td>
                    <label className="inline">
                      <input
                        type="checkbox"
                        checked={r.enabled}
                        disabled={busy}
                        aria-label={`enabled: ${label(r)}`}
                        onChange={(e) => {
                          const enabled = e.target.checked;
                          flow.start(`${enabled ? "Enable" : "Disable"} ${label(r)}`, (preview) => update.mutateAsync({ ruleId: r.id, enabled, preview }));
                        }}
                      />{" "}
                      {r.enabled ? "on" : "off"}
                    </label>
                  </td>
                  <td>
                    <button className="danger" disabled={busy} onClick={() => flow.start(`Delete ${label(r)}`, (preview) => remove.mutateAsync({ ruleId: r.id, preview }))}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
