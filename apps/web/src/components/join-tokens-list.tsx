"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/client.tsx";
import { Badge } from "./ui/badge.tsx";
import { DataTable } from "./ui/data-table.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { formatDateTime } from "./ui/time.ts";
import { useAction } from "./ui/use-form-mutation.ts";

const STATUS_TONE = { active: "ok", used: "", expired: "", revoked: "bad" } as const;

/** The join tokens of a cloud (never their secrets), with uses and a revoke action. */
export function JoinTokensList({ cloudId }: { cloudId: string }) {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.joinToken.list.queryOptions({ cloudId }, { refetchInterval: 5_000 }));
  const revoke = useAction(trpc.joinToken.revoke.mutationOptions(), { refresh: trpc.joinToken.list.queryKey() });
  if (!tokens.data?.length) return null;
  return (
    <details style={{ margin: "8px 0" }} data-testid={`join-tokens-${cloudId}`}>
      <summary>Join tokens ({tokens.data.filter((t) => t.status === "active").length} active)</summary>
      <ErrorAlert error={revoke.error} />
      <DataTable
        rows={tokens.data}
        rowKey={(t) => t.id}
        anchorRows
        style={{ marginTop: 8 }}
        columns={[
          { key: "token", header: "Token", className: "mono", cell: (t) => `${t.prefix}…` },
          { key: "kind", header: "Kind", cell: (t) => (t.reusable ? "reusable" : "one-off") },
          {
            key: "uses",
            header: "Uses",
            sort: (t) => t.uses,
            cell: (t) => `${t.uses}${t.usageLimit !== null ? ` / ${t.usageLimit}` : ""}`,
          },
          { key: "expires", header: "Expires", sort: (t) => t.expiresAt, cell: (t) => formatDateTime(t.expiresAt) },
          {
            key: "status",
            header: "Status",
            sort: (t) => t.status,
            cell: (t) => <Badge tone={STATUS_TONE[t.status]}>{t.status}</Badge>,
          },
        ]}
        actions={(t) => (
          <RowActions
            label={`Actions for join token ${t.prefix}`}
            actions={[
              t.status === "active" && {
                label: "Revoke",
                danger: true,
                disabled: revoke.isPending,
                onSelect: () => revoke.mutate({ joinTokenId: t.id }),
              },
            ]}
          />
        )}
      />
    </details>
  );
}
