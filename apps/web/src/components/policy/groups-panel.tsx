"use client";

import type { GroupDto, InstanceDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { formatLabels } from "../../lib/labels.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { GroupForm, type GroupFormValue } from "./group-form.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";

function selectorText(g: GroupDto): string {
  if (g.matchLabels === null) return "by hand only";
  if (Object.keys(g.matchLabels).length === 0) return "every instance";
  return formatLabels(g.matchLabels);
}

/** The VPC's groups: who is in them now, and create / edit / delete (each previewed). */
export function GroupsPanel({ vpcId, groups, instances }: { vpcId: string; groups: GroupDto[]; instances: InstanceDto[] }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.group.create.mutationOptions());
  const update = useMutation(trpc.group.update.mutationOptions());
  const remove = useMutation(trpc.group.delete.mutationOptions());
  const [editing, setEditing] = useState<GroupDto | "new" | null>(null);
  const flow = usePolicyChange(() => setEditing(null));
  const nameOf = (id: string) => instances.find((i) => i.id === id)?.name ?? id;
  const busy = flow.state?.phase === "previewing" || flow.state?.phase === "applying";
  const submit = (v: GroupFormValue) => {
    if (editing === "new") flow.start(`Create group ${v.name}`, (preview) => create.mutateAsync({ vpcId, ...v, preview }));
    else if (editing) {
      const groupId = editing.id;
      flow.start(`Change group ${editing.name}`, (preview) => update.mutateAsync({ groupId, ...v, preview }));
    }
  };
  return (
    <section aria-label="Groups">
      <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <h2>Groups</h2>
        {editing === null && (
          <button onClick={() => setEditing("new")} data-testid="group-new">
            New group
          </button>
        )}
      </div>
      {editing !== null && (
        <GroupForm key={editing === "new" ? "new" : editing.id} instances={instances} {...(editing === "new" ? {} : { group: editing })} onSubmit={submit} onCancel={() => (setEditing(null), flow.cancel())} busy={busy} />
      )}
      <PolicyChangePanel flow={flow} testId="group-change" />
      {groups.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Group</th>
                <th>Members by label</th>
                <th>Members now</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.id} data-testid={`group-${g.name}`}>
                  <td>
                    {g.name}
                    {g.description && <div className="muted">{g.description}</div>}
                  </td>
                  <td className="mono">
                    {selectorText(g)}
                    {g.memberIds.length > 0 && <div className="muted">+ by hand: {g.memberIds.map(nameOf).join(", ")}</div>}
                  </td>
                  <td data-testid={`group-members-${g.name}`}>{g.effectiveMemberIds.length === 0 ? <span className="muted">nobody yet</span> : g.effectiveMemberIds.map(nameOf).join(", ")}</td>
                  <td>
                    <button onClick={() => setEditing(g)} disabled={busy}>
                      Edit
                    </button>{" "}
                    <button className="danger" disabled={busy} data-testid={`group-delete-${g.name}`} onClick={() => flow.start(`Delete group ${g.name} and its rules`, (preview) => remove.mutateAsync({ groupId: g.id, preview }))}>
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
