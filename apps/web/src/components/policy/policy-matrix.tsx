"use client";

import type { DenyDto, MatrixCell, MatrixDto, RuleDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { describeRuleService } from "../../lib/policy-text.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";
import { Badge } from "../ui/badge.tsx";

const CELL: Record<MatrixCell["state"], { mark: string; label: string }> = {
  plugged: { mark: "●", label: "plugged" },
  partial: { mark: "◐", label: "partial" },
  unplugged: { mark: "○", label: "unplugged" },
};

function cellTitle(cell: MatrixCell, from: string, to: string, rules: RuleDto[], denies: DenyDto[]): string {
  const what = cell.ruleIds
    .map((id) => rules.find((r) => r.id === id))
    .filter((r) => r !== undefined)
    .map(describeRuleService);
  const parts = [`${from} → ${to}: ${CELL[cell.state].label}${what.length ? ` (${what.join(", ")})` : ""}`];
  if (cell.deniedBy.length)
    parts.push(
      `overridden for some pairs by the deny list: ${cell.deniedBy.map((id) => denies.find((d) => d.id === id)?.description || id).join(", ")}`,
    );
  parts.push(cell.state === "unplugged" ? "click to plug (any protocol, one-way)" : "click to unplug");
  return parts.join(" — ");
}

/**
 * The group × group matrix of one VPC: rows are the source, columns the destination. One click on
 * a cell previews plugging (anything, one-way) or unplugging that pair; Apply makes it so.
 */
export function PolicyMatrix({ matrix, rules, denies }: { matrix: MatrixDto; rules: RuleDto[]; denies: DenyDto[] }) {
  const trpc = useTRPC();
  const plug = useMutation(trpc.policy.plug.mutationOptions());
  const unplug = useMutation(trpc.policy.unplug.mutationOptions());
  const flow = usePolicyChange();
  const { groups } = matrix;
  if (groups.length === 0)
    return <p className="muted">This VPC has no groups: create one below to plug it into another.</p>;
  const cellOf = (src: string, dst: string) => matrix.cells.find((c) => c.srcGroupId === src && c.dstGroupId === dst);
  const click = (cell: MatrixCell, from: string, to: string) => {
    const input = { srcGroupId: cell.srcGroupId, dstGroupId: cell.dstGroupId };
    if (cell.state === "unplugged")
      flow.start(`Plug ${from} → ${to}`, ({ preview }) => plug.mutateAsync({ ...input, preview }));
    else flow.start(`Unplug ${from} → ${to}`, ({ preview }) => unplug.mutateAsync({ ...input, preview }));
  };
  return (
    <>
      <div className="table-wrap">
        <table className="matrix" data-testid="policy-matrix" aria-label="Group matrix">
          <thead>
            <tr>
              <th>from ↓ · to →</th>
              {groups.map((g) => (
                <th key={g.id} scope="col">
                  {g.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {groups.map((src) => (
              <tr key={src.id}>
                <th scope="row">{src.name}</th>
                {groups.map((dst) => {
                  const cell = cellOf(src.id, dst.id);
                  if (!cell) return <td key={dst.id} />;
                  const c = CELL[cell.state];
                  return (
                    <td key={dst.id}>
                      <button
                        className={`cell ${cell.state}`}
                        data-testid={`matrix-cell-${src.name}-${dst.name}`}
                        data-state={cell.state}
                        data-denied={cell.deniedBy.length > 0}
                        title={cellTitle(cell, src.name, dst.name, rules, denies)}
                        aria-label={`${src.name} to ${dst.name}: ${c.label}`}
                        disabled={flow.busy}
                        onClick={() => click(cell, src.name, dst.name)}
                      >
                        <span aria-hidden>{c.mark}</span> {c.label}
                        {cell.deniedBy.length > 0 && (
                          <Badge tone="bad" title="the deny list overrides this cell for some pairs">
                            deny
                          </Badge>
                        )}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">
        ● plugged: anything allowed · ◐ partial: some protocols or ports · ○ unplugged: nothing. A deny marker means the
        organization&apos;s deny list wins for some pairs.
      </p>
      <PolicyChangePanel flow={flow} testId="matrix-change" />
    </>
  );
}
