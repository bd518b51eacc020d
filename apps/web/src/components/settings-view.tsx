"use client";

import { ROLES, type Role } from "@nvi/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formText } from "../lib/form.ts";
import { errorMessage, useTRPC } from "../trpc/client.tsx";

function OrganizationCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const org = useQuery(trpc.org.get.queryOptions());
  const rename = useMutation(trpc.org.rename.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  if (!org.data) return null;
  const canEdit = org.data.role === "owner" || org.data.role === "admin";
  return (
    <form
      className="card row"
      onSubmit={(e: FormEvent<HTMLFormElement>) => {
        e.preventDefault();
        rename.mutate({ name: formText(new FormData(e.currentTarget), "name") });
      }}
    >
      <label style={{ flex: 1 }}>
        Organization name
        <input name="name" defaultValue={org.data.name} key={org.data.name} disabled={!canEdit} maxLength={80} />
      </label>
      <span className="muted mono">{org.data.id}</span>
      {canEdit && <button type="submit">Rename</button>}
      {rename.error && <div className="alert">{errorMessage(rename.error)}</div>}
    </form>
  );
}

function Members() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.member.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.member.list.queryKey() });
  const setRole = useMutation(trpc.member.setRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.member.remove.mutationOptions({ onSuccess: refresh }));
  const error = setRole.error ?? remove.error ?? members.error;
  return (
    <>
      <h2>Members</h2>
      {error && <div className="alert" role="alert">{errorMessage(error)}</div>}
      <div className="table-wrap">
        <table data-testid="members-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Joined</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.data?.map((m) => (
              <tr key={m.id} data-testid={`member-${m.email}`}>
                <td>{m.name}</td>
                <td>{m.email}</td>
                <td>
                  <select aria-label={`Role of ${m.email}`} value={m.role} onChange={(e) => setRole.mutate({ membershipId: m.id, role: e.target.value as Role })}>
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>{new Date(m.joinedAt).toLocaleDateString()}</td>
                <td>
                  <button
                    className="danger"
                    onClick={() => {
                      if (window.confirm(`Remove ${m.email}? Their API tokens for this organization stop working.`)) remove.mutate({ membershipId: m.id });
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Invitations() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invitations = useQuery(trpc.invitation.list.queryOptions());
  const [link, setLink] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.invitation.list.queryKey() });
  const create = useMutation(
    trpc.invitation.create.mutationOptions({
      onSuccess: async (r) => {
        setLink(`${window.location.origin}/invite/${r.secret}`);
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.invitation.revoke.mutationOptions({ onSuccess: refresh }));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = formText(form, "email");
    create.mutate({ role: formText(form, "role") as Role, expiresInDays: Number(form.get("days")), ...(email ? { email } : {}) });
  };
  return (
    <>
      <h2>Invitations</h2>
      <form className="card row" onSubmit={submit} aria-label="Invite">
        <label>
          Role
          <select name="role" defaultValue="member">
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label style={{ flex: 1 }}>
          Email (optional: only this address can accept)
          <input name="email" type="email" placeholder="anyone with the link" />
        </label>
        <label>
          Valid for
          <select name="days" defaultValue="7">
            <option value="1">1 day</option>
            <option value="7">7 days</option>
            <option value="30">30 days</option>
          </select>
        </label>
        <button className="primary" type="submit" disabled={create.isPending}>
          Create invitation link
        </button>
      </form>
      {create.error && <div className="alert" role="alert">{errorMessage(create.error)}</div>}
      {link && (
        <div className="notice">
          Send this link to the person you invite (no mail server needed). It is shown once.
          <pre data-testid="invite-link">{link}</pre>
          <button onClick={() => void navigator.clipboard?.writeText(link)}>Copy</button>
        </div>
      )}
      {!!invitations.data?.length && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Role</th>
                <th>For</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {invitations.data.map((i) => (
                <tr key={i.id}>
                  <td>{i.role}</td>
                  <td>{i.email ?? <span className="muted">anyone with the link</span>}</td>
                  <td>{new Date(i.createdAt).toLocaleString()}</td>
                  <td>{new Date(i.expiresAt).toLocaleString()}</td>
                  <td>
                    <span className={`badge ${i.status === "pending" ? "warn" : i.status === "accepted" ? "ok" : ""}`}>{i.status}</span>
                  </td>
                  <td>{i.status === "pending" && <button className="danger" onClick={() => revoke.mutate({ invitationId: i.id })}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function SettingsView() {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.get.queryOptions());
  const manager = me.data && me.data.scopes.includes("members:write");
  return (
    <>
      <h1>Settings</h1>
      <p className="lead">Your organization, its members and their roles.</p>
      <OrganizationCard />
      <Members />
      {manager ? <Invitations /> : <p className="muted">Only owners and admins invite people.</p>}
      <h2>Roles</h2>
      <div className="card">
        <p><strong>owner</strong>: everything, including granting or removing the owner role.</p>
        <p><strong>admin</strong>: everything except touching owners.</p>
        <p><strong>member</strong>: read everything; create and change clouds, VPCs, instances, policies and their own tokens.</p>
        <p><strong>viewer</strong>: read only.</p>
      </div>
    </>
  );
}
