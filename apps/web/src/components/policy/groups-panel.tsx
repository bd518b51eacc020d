"use client";

import type { GroupDto, InstanceDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { formatLabels } from "../../lib/labels.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { DataTable, WithDetail } from "../ui/data-table.tsx";
import { PageHeader } from "../ui/page-header.tsx";
import { RowActions } from "../ui/row-actions.tsx";
import { GroupForm, type GroupFormValue } from "./group-form.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";

function selectorText(g: GroupDto): string {
  if (g.matchLabels === null) return "by hand only";
  if (Object.keys(g.matchLabels).length === 0) return "every instance";
  return formatLabels(g.matchLabels);
}

/** The VPC's groups: who is in them now, and create / edit / delete (each previewed). */
export function GroupsPanel({
  vpcId,
  groups,
  instances,
}: {
  vpcId: string;
  groups: GroupDto[];
  instances: InstanceDto[];
}) {
  const trpc = useTRPC();
  const create = useMutation(trpc.group.create.mutationOptions());
  const update = useMutation(trpc.group.update.mutationOptions());
  const remove = useMutation(trpc.group.delete.mutationOptions());
  const [editing, setEditing] = useState<GroupDto | "new" | null>(null);
  const flow = usePolicyChange(() => setEditing(null));
  const nameOf = (id: string) => instances.find((i) => i.id === id)?.name ?? id;
  const submit = (v: GroupFormValue) => {
    if (editing === "new")
      flow.start(`Create group ${v.name}`, ({ preview }) => create.mutateAsync({ vpcId, ...v, preview }));
    else if (editing) {
      const groupId = editing.id;
      flow.start(`Change group ${editing.name}`, ({ preview }) => update.mutateAsync({ groupId, ...v, preview }));
    }
  };
  return (
    <section aria-label="Groups">
      <PageHeader
        level={2}
        title="Groups"
        actions={
          editing === null && (
            <button onClick={() => setEditing("new")} data-testid="group-new">
              New group
            </button>
          )
        }
      />
      {editing !== null && (
        <GroupForm
          key={editing === "new" ? "new" : editing.id}
          instances={instances}
          {...(editing === "new" ? {} : { group: editing })}
          onSubmit={submit}
          onCancel={() => (setEditing(null), flow.cancel())}
          busy={flow.busy}
        />
      )}
      <PolicyChangePanel flow={flow} testId="group-change" />
      <DataTable
        rows={groups}
        rowKey={(g) => g.id}
        rowAttributes={(g) => ({ "data-testid": `group-${g.name}` })}
        columns={[
          {
            key: "name",
            header: "Group",
            sort: (g) => g.name,
            cell: (g) => <WithDetail main={g.name} detail={g.description} />,
          },
          {
            key: "selector",
            header: "Members by label",
            className: "mono",
            cell: (g) => (
              <>
                {selectorText(g)}
                {g.memberIds.length > 0 && <div className="muted">+ by hand: {g.memberIds.map(nameOf).join(", ")}</div>}
              </>
            ),
          },
          {
            key: "members",
            header: "Members now",
            sort: (g) => g.effectiveMemberIds.length,
            cell: (g) => (
              <span data-testid={`group-members-${g.name}`}>
                {g.effectiveMemberIds.length === 0 ? (
                  <span className="muted">nobody yet</span>
                ) : (
                  g.effectiveMemberIds.map(nameOf).join(", ")
                )}
              </span>
            ),
          },
        ]}
        actions={(g) => (
          <RowActions
            label={`Actions for group ${g.name}`}
            actions={[
              { label: "Edit", disabled: flow.busy, onSelect: () => setEditing(g) },
              {
                label: "Delete",
                danger: true,
                disabled: flow.busy,
                testId: `group-delete-${g.name}`,
                onSelect: () =>
                  flow.start(`Delete group ${g.name} and its rules`, ({ preview }) =>
                    remove.mutateAsync({ groupId: g.id, preview }),
                  ),
              },
            ]}
          />
        )}
      />
    </section>
  );
}
