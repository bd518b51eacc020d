"use client";

import { AREAS, type Scope } from "@nvi/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formText } from "../lib/form.ts";
import { errorMessage, useTRPC } from "../trpc/client.tsx";
import { EmptyState } from "./empty-state.tsx";

const EXPIRY = [
  { label: "30 days", days: 30 },
  { label: "90 days", days: 90 },
  { label: "1 year", days: 365 },
  { label: "Never", days: null },
] as const;

const fmt = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

function CreatedSecret({ secret, onDone }: { secret: string; onDone: () => void }) {
  const origin = typeof window === "undefined" ? "" : window.location.origin;
  return (
    <div className="notice" data-testid="token-secret-panel">
      <strong>Copy your token now. It will not be shown again.</strong>
      <pre data-testid="token-secret">{secret}</pre>
      <div className="row">
        <button onClick={() => void navigator.clipboard?.writeText(secret)}>Copy</button>
        <button onClick={onDone}>Done</button>
      </div>
      <p className="muted">Try it:</p>
      <pre>{`curl -H "Authorization: Bearer ${secret}" ${origin}/api/v1/me`}</pre>
    </div>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (secret: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(["vpcs:read", "instances:read"]));
  const create = useMutation(
    trpc.token.create.mutationOptions({
      onSuccess: async (r) => {
        onCreated(r.secret);
        await queryClient.invalidateQueries({ queryKey: trpc.token.list.queryKey() });
      },
    }),
  );
  const toggle = (scope: Scope) => setScopes((s) => (s.has(scope) ? new Set([...s].filter((x) => x !== scope)) : new Set([...s, scope])));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const days = formText(form, "expiry");
    create.mutate({ name: formText(form, "name"), scopes: [...scopes], expiresInDays: days === "never" ? null : Number(days) });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="New API token">
      <h2 style={{ marginTop: 0 }}>New API token</h2>
      <div className="row">
        <label style={{ flex: 1 }}>
          Name
          <input name="name" required maxLength={80} placeholder="ci-deploy" />
        </label>
        <label>
          Expires
          <select name="expiry" defaultValue="90">
            {EXPIRY.map((e) => (
              <option key={e.label} value={e.days ?? "never"}>
                {e.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset className="scopes" style={{ border: "none", padding: 0 }}>
        <legend className="muted">Scopes (write includes read)</legend>
        <span className="head">Area</span>
        <span className="head">Read</span>
        <span className="head">Write</span>
        {AREAS.map((area) => (
          <div key={area} style={{ display: "contents" }}>
            <span>{area}</span>
            {(["read", "write"] as const).map((level) => (
              <input
                key={level}
                type="checkbox"
                aria-label={`${area}:${level}`}
                checked={scopes.has(`${area}:${level}`)}
                onChange={() => toggle(`${area}:${level}`)}
              />
            ))}
          </div>
        ))}
      </fieldset>
      {create.error && <div className="alert" role="alert">{errorMessage(create.error)}</div>}
      <div>
        <button className="primary" type="submit" disabled={create.isPending}>
          Create token
        </button>
      </div>
    </form>
  );
}

export function TokensView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.token.list.queryOptions());
  const [secret, setSecret] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const revoke = useMutation(
    trpc.token.revoke.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.token.list.queryKey() }) }),
  );
  return (
    <>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <div>
          <h1>API tokens</h1>
          <p className="lead">Scoped tokens for scripts, CI and the CLI. Send them as <code>Authorization: Bearer …</code>.</p>
        </div>
        {!creating && !secret && (
          <button className="primary" onClick={() => setCreating(true)}>
            New token
          </button>
        )}
      </div>
      {secret && <CreatedSecret secret={secret} onDone={() => setSecret(null)} />}
      {creating && !secret && (
        <CreateTokenForm
          onCreated={(s) => {
            setSecret(s);
            setCreating(false);
          }}
        />
      )}
      {revoke.error && <div className="alert" role="alert">{errorMessage(revoke.error)}</div>}
      {tokens.error && <div className="alert" role="alert">{errorMessage(tokens.error)}</div>}
      {tokens.data?.length === 0 && !creating && (
        <EmptyState title="No API tokens yet">
          <p>Create one to call the REST API (see API reference) or to log the CLI in.</p>
        </EmptyState>
      )}
      {!!tokens.data?.length && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Token</th>
                <th>Scopes</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Expires</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.id} data-testid={`token-row-${t.name}`}>
                  <td>{t.name}</td>
                  <td className="mono">{t.prefix}…</td>
                  <td style={{ maxWidth: 280 }}>{t.scopes.join(", ")}</td>
                  <td>
                    {fmt(t.createdAt)}
                    <div className="muted">{t.createdBy}</div>
                  </td>
                  <td>{fmt(t.lastUsedAt)}</td>
                  <td>{t.expiresAt ? fmt(t.expiresAt) : "never"}</td>
                  <td>
                    <span className={`badge ${t.status === "active" ? "ok" : "bad"}`}>{t.status}</span>
                  </td>
                  <td>
                    {t.status === "active" && (
                      <button
                        className="danger"
                        disabled={revoke.isPending}
                        onClick={() => {
                          if (window.confirm(`Revoke "${t.name}"? Scripts using it stop working at once.`)) revoke.mutate({ tokenId: t.id });
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
