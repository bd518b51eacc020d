"use client";

import { AREAS, type Scope } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { Badge } from "./ui/badge.tsx";
import { CopyBlock } from "./ui/copy-block.tsx";
import { DataTable, WithDetail } from "./ui/data-table.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { FormCard, InputField, SelectField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { formatDateTime } from "./ui/time.ts";
import { useAction, useFormMutation } from "./ui/use-form-mutation.ts";

const EXPIRY = [
  { label: "30 days", days: 30 },
  { label: "90 days", days: 90 },
  { label: "1 year", days: 365 },
  { label: "Never", days: null },
] as const;

function CreatedSecret({ secret, onDone }: { secret: string; onDone: () => void }) {
  const origin = typeof window === "undefined" ? "" : window.location.origin;
  return (
    <div className="notice" data-testid="token-secret-panel">
      <strong>Copy your token now. It will not be shown again.</strong>
      <CopyBlock text={secret} testId="token-secret">
        <button onClick={onDone}>Done</button>
      </CopyBlock>
      <p className="muted">Try it:</p>
      <pre>{`curl -H "Authorization: Bearer ${secret}" ${origin}/api/v1/me`}</pre>
    </div>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (secret: string) => void }) {
  const trpc = useTRPC();
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(["vpcs:read", "instances:read"]));
  const form = useFormMutation(
    trpc.token.create.mutationOptions(),
    (f) => {
      const days = formText(f, "expiry");
      return { name: formText(f, "name"), scopes: [...scopes], expiresInDays: days === "never" ? null : Number(days) };
    },
    { refresh: trpc.token.list.queryKey(), onDone: (r) => onCreated(r.secret) },
  );
  const toggle = (scope: Scope) =>
    setScopes((s) => (s.has(scope) ? new Set([...s].filter((x) => x !== scope)) : new Set([...s, scope])));
  return (
    <FormCard title="New API token" form={form} submit="Create token">
      <div className="row">
        <InputField label="Name" grow name="name" required maxLength={80} placeholder="ci-deploy" />
        <SelectField
          label="Expires"
          name="expiry"
          defaultValue="90"
          options={EXPIRY.map((e) => ({ value: String(e.days ?? "never"), label: e.label }))}
        />
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
    </FormCard>
  );
}

export function TokensView() {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.token.list.queryOptions());
  const [secret, setSecret] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const revoke = useAction(trpc.token.revoke.mutationOptions(), { refresh: trpc.token.list.queryKey() });
  return (
    <>
      <PageHeader
        title="API tokens"
        lead={
          <>
            Scoped tokens for scripts, CI and the CLI. Send them as <code>Authorization: Bearer …</code>.
          </>
        }
        actions={
          !creating &&
          !secret && (
            <button className="primary" onClick={() => setCreating(true)}>
              New token
            </button>
          )
        }
      />
      {secret && <CreatedSecret secret={secret} onDone={() => setSecret(null)} />}
      {creating && !secret && (
        <CreateTokenForm
          onCreated={(s) => {
            setSecret(s);
            setCreating(false);
          }}
        />
      )}
      <ErrorAlert error={[revoke.error, tokens.error]} />
      <DataTable
        rows={tokens.data ?? []}
        rowKey={(t) => t.id}
        anchorRows
        rowAttributes={(t) => ({ "data-testid": `token-row-${t.name}` })}
        empty={
          tokens.data &&
          !creating && (
            <EmptyState title="No API tokens yet">
              <p>Create one to call the REST API (see API reference) or to log the CLI in.</p>
            </EmptyState>
          )
        }
        columns={[
          { key: "name", header: "Name", sort: (t) => t.name, cell: (t) => t.name },
          { key: "token", header: "Token", className: "mono", cell: (t) => `${t.prefix}…` },
          { key: "scopes", header: "Scopes", style: { maxWidth: 280 }, cell: (t) => t.scopes.join(", ") },
          {
            key: "created",
            header: "Created",
            sort: (t) => t.createdAt,
            cell: (t) => <WithDetail main={formatDateTime(t.createdAt)} detail={t.createdBy} />,
          },
          { key: "used", header: "Last used", sort: (t) => t.lastUsedAt, cell: (t) => formatDateTime(t.lastUsedAt) },
          {
            key: "expires",
            header: "Expires",
            sort: (t) => t.expiresAt,
            cell: (t) => (t.expiresAt ? formatDateTime(t.expiresAt) : "never"),
          },
          {
            key: "status",
            header: "Status",
            sort: (t) => t.status,
            cell: (t) => <Badge tone={t.status === "active" ? "ok" : "bad"}>{t.status}</Badge>,
          },
        ]}
        actions={(t) => (
          <RowActions
            label={`Actions for token ${t.name}`}
            actions={[
              t.status === "active" && {
                label: "Revoke",
                danger: true,
                disabled: revoke.isPending,
                confirm: `Revoke "${t.name}"? Scripts using it stop working at once.`,
                onSelect: () => revoke.mutate({ tokenId: t.id }),
              },
            ]}
          />
        )}
      />
    </>
  );
}
