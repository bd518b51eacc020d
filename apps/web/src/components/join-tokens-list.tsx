"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "../trpc/client.tsx";

const STATUS_CLASS = { active: "ok", used: "", expired: "", revoked: "bad" } as const;

/** The join tokens of a cloud (never their secrets), with uses and a revoke button. */
export function JoinTokensList({ cloudId }: { cloudId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.joinToken.list.queryOptions({ cloudId }, { refetchInterval: 5_000 }));
  const revoke = useMutation(trpc.joinToken.revoke.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.joinToken.list.queryKey() }) }));
  if (!tokens.data?.length) return null;
  return (
    <details style={{ margin: "8px 0" }} data-testid={`join-tokens-${cloudId}`}>
      <summary>Join tokens ({tokens.data.filter((t) => t.status === "active").length} active)</summary>
      {revoke.error && <div className="alert" role="alert">{errorMessage(revoke.error)}</div>}
      <div className="table-wrap" style={{ marginTop: 8 }}>
        <table>
          <thead>
            <tr>
              <th>Token</th>
              <th>Kind</th>
              <th>Uses</th>
              <th>Expires</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <tr key={t.id}>
                <td className="mono">{t.prefix}…</td>
                <td>{t.reusable ? "reusable" : "one-off"}</td>
                <td>
                  {t.uses}
                  {t.usageLimit !== null ? ` / ${t.usageLimit}` : ""}
                </td>
                <td>{new Date(t.expiresAt).toLocaleString()}</td>
                <td>
                  <span className={`badge ${STATUS_CLASS[t.status]}`}>{t.status}</span>
                </td>
                <td>
                  {t.status === "active" && (
                    <button className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate({ joinTokenId: t.id })}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
