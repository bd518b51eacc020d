"use client";

import { ROLES, type Role } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { Badge } from "./ui/badge.tsx";
import { CopyBlock } from "./ui/copy-block.tsx";
import { DataTable } from "./ui/data-table.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { InputField, SelectField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { formatDate, formatDateTime } from "./ui/time.ts";
import { useAction, useFormMutation } from "./ui/use-form-mutation.ts";

function OrganizationCard() {
  const trpc = useTRPC();
  const org = useQuery(trpc.org.get.queryOptions());
  const rename = useFormMutation(trpc.org.rename.mutationOptions(), (f) => ({ name: formText(f, "name") }));
  if (!org.data) return null;
  const canEdit = org.data.role === "owner" || org.data.role === "admin";
  return (
    <form className="card row" {...rename.formProps}>
      <InputField
        label="Organization name"
        grow
        name="name"
        defaultValue={org.data.name}
        key={org.data.name}
        disabled={!canEdit}
        maxLength={80}
      />
      <span className="muted mono">{org.data.id}</span>
      {canEdit && <button type="submit">Rename</button>}
      <ErrorAlert error={rename.error} />
    </form>
  );
}

function Members() {
  const trpc = useTRPC();
  const members = useQuery(trpc.member.list.queryOptions());
  const refresh = { refresh: trpc.member.list.queryKey() };
  const setRole = useAction(trpc.member.setRole.mutationOptions(), refresh);
  const remove = useAction(trpc.member.remove.mutationOptions(), refresh);
  return (
    <>
      <h2>Members</h2>
      <ErrorAlert error={[setRole.error, remove.error, members.error]} />
      <DataTable
        testId="members-table"
        rows={members.data ?? []}
        rowKey={(m) => m.id}
        anchorRows
        rowAttributes={(m) => ({ "data-testid": `member-${m.email}` })}
        columns={[
          { key: "name", header: "Name", sort: (m) => m.name, cell: (m) => m.name },
          { key: "email", header: "Email", sort: (m) => m.email, cell: (m) => m.email },
          {
            key: "role",
            header: "Role",
            sort: (m) => ROLES.indexOf(m.role),
            cell: (m) => (
              <select
                aria-label={`Role of ${m.email}`}
                value={m.role}
                onChange={(e) => setRole.mutate({ membershipId: m.id, role: e.target.value as Role })}
              >
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            ),
          },
          { key: "joined", header: "Joined", sort: (m) => m.joinedAt, cell: (m) => formatDate(m.joinedAt) },
        ]}
        actions={(m) => (
          <RowActions
            label={`Actions for member ${m.email}`}
            actions={[
              {
                label: "Remove",
                danger: true,
                confirm: `Remove ${m.email}? Their API tokens for this organization stop working.`,
                onSelect: () => remove.mutate({ membershipId: m.id }),
              },
            ]}
          />
        )}
      />
    </>
  );
}

const VALIDITY = [
  { value: "1", label: "1 day" },
  { value: "7", label: "7 days" },
  { value: "30", label: "30 days" },
];
const INVITATION_TONE = { pending: "warn", accepted: "ok" } as const;

function Invitations() {
  const trpc = useTRPC();
  const invitations = useQuery(trpc.invitation.list.queryOptions());
  const [link, setLink] = useState<string | null>(null);
  const refresh = trpc.invitation.list.queryKey();
  const create = useFormMutation(
    trpc.invitation.create.mutationOptions(),
    (f) => {
      const email = formText(f, "email");
      return { role: formText(f, "role") as Role, expiresInDays: Number(f.get("days")), ...(email ? { email } : {}) };
    },
    { refresh, onDone: (r) => setLink(`${window.location.origin}/invite/${r.secret}`) },
  );
  const revoke = useAction(trpc.invitation.revoke.mutationOptions(), { refresh });
  return (
    <>
      <h2>Invitations</h2>
      <form className="card row" aria-label="Invite" {...create.formProps}>
        <SelectField label="Role" name="role" defaultValue="member" options={ROLES} />
        <InputField
          label="Email (optional: only this address can accept)"
          grow
          name="email"
          type="email"
          placeholder="anyone with the link"
        />
        <SelectField label="Valid for" name="days" defaultValue="7" options={VALIDITY} />
        <button className="primary" type="submit" disabled={create.pending}>
          Create invitation link
        </button>
      </form>
      <ErrorAlert error={[create.error, revoke.error]} />
      {link && (
        <div className="notice">
          Send this link to the person you invite (no mail server needed). It is shown once.
          <CopyBlock text={link} testId="invite-link" />
        </div>
      )}
      <DataTable
        rows={invitations.data ?? []}
        rowKey={(i) => i.id}
        anchorRows
        columns={[
          { key: "role", header: "Role", sort: (i) => ROLES.indexOf(i.role), cell: (i) => i.role },
          {
            key: "for",
            header: "For",
            sort: (i) => i.email,
            cell: (i) => i.email ?? <span className="muted">anyone with the link</span>,
          },
          { key: "created", header: "Created", sort: (i) => i.createdAt, cell: (i) => formatDateTime(i.createdAt) },
          { key: "expires", header: "Expires", sort: (i) => i.expiresAt, cell: (i) => formatDateTime(i.expiresAt) },
          {
            key: "status",
            header: "Status",
            sort: (i) => i.status,
            cell: (i) => (
              <Badge tone={i.status === "pending" || i.status === "accepted" ? INVITATION_TONE[i.status] : ""}>
                {i.status}
              </Badge>
            ),
          },
        ]}
        actions={(i) => (
          <RowActions
            label={`Actions for the invitation for ${i.email ?? "anyone"}`}
            actions={[
              i.status === "pending" && {
                label: "Revoke",
                danger: true,
                onSelect: () => revoke.mutate({ invitationId: i.id }),
              },
            ]}
          />
        )}
      />
    </>
  );
}

export function SettingsView() {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.get.queryOptions());
  const manager = me.data && me.data.scopes.includes("members:write");
  return (
    <>
      <PageHeader title="Settings" lead="Your organization, its members and their roles." />
      <OrganizationCard />
      <Members />
      {manager ? <Invitations /> : <p className="muted">Only owners and admins invite people.</p>}
      <h2>Roles</h2>
      <div className="card">
        <p>
          <strong>owner</strong>: everything, including granting or removing the owner role.
        </p>
        <p>
          <strong>admin</strong>: everything except touching owners.
        </p>
        <p>
          <strong>member</strong>: read everything; create and change clouds, VPCs, instances, policies and their own
          tokens.
        </p>
        <p>
          <strong>viewer</strong>: read only.
        </p>
      </div>
    </>
  );
}
