"use client";

import type { OperationDto } from "@nvi/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { errorMessage, useTRPC } from "../trpc/client.tsx";
import { EmptyState } from "./empty-state.tsx";
import { useLiveUpdates } from "./live.tsx";

export const OPERATION_STATUS_CLASS: Record<OperationDto["status"], string> = { queued: "warn", running: "warn", succeeded: "ok", failed: "bad", cancelled: "muted" };
const STEP_MARK = { pending: "○", running: "◐", done: "●", failed: "✕", skipped: "–" } as const;

export function Steps({ op }: { op: OperationDto }) {
  return (
    <ol className="steps" aria-label={`Steps of ${op.id}`}>
      {op.steps.map((s) => (
        <li key={s.name} className={`step ${s.status}`}>
          <span aria-hidden>{STEP_MARK[s.status]}</span> {s.name}
          {s.detail && <span className="muted"> — {s.detail}</span>}
          {s.at && <span className="muted"> · {new Date(s.at).toLocaleTimeString()}</span>}
        </li>
      ))}
    </ol>
  );
}

export function OperationsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const connected = useLiveUpdates();
  const target = useSearchParams().get("target") ?? undefined;
  const ops = useQuery(trpc.operation.list.queryOptions({ ...(target ? { targetId: target } : {}), limit: 100 }));
  const retry = useMutation(trpc.operation.retry.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  const cancel = useMutation(trpc.operation.cancel.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  return (
    <>
      <h1>Operations</h1>
      <p className="lead">
        Every change that touches a host runs as a tracked job, with live progress here.{" "}
        <span className={`badge ${connected ? "ok" : "warn"}`} title="server-sent events from /api/live">{connected ? "live" : "reconnecting"}</span>
      </p>
      {target && <p className="muted">Showing the operations of {target}.</p>}
      {ops.error && <div className="alert">{errorMessage(ops.error)}</div>}
      {retry.error && <div className="alert" role="alert">{errorMessage(retry.error)}</div>}
      {cancel.error && <div className="alert" role="alert" data-testid="operation-cancel-error">{errorMessage(cancel.error)}</div>}
      {ops.data?.length === 0 && (
        <EmptyState title="No operations yet" action={{ href: "/instances", label: "Launch an instance" }}>
          <p>Launching and terminating instances (and, next, plugging policies) show up here as they run. Account and token changes are in the audit log.</p>
        </EmptyState>
      )}
      {(ops.data?.length ?? 0) > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Operation</th>
                <th>Status</th>
                <th>Progress and steps</th>
                <th>Asked by</th>
                <th>When</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {ops.data?.map((op) => (
                <tr key={op.id} data-testid={`operation-${op.id}`}>
                  <td>
                    {op.kind}
                    <div className="muted mono">{op.targetId}</div>
                  </td>
                  <td>
                    <span className={`badge ${OPERATION_STATUS_CLASS[op.status]}`}>{op.status}</span>
                    {op.attempts > 1 && <div className="muted">attempt {op.attempts}</div>}
                    {op.status === "running" && op.cancelledBy && <div className="muted">cancelling (asked by {op.cancelledBy}): stops at the next safe step</div>}
                  </td>
                  <td style={{ minWidth: 260 }}>
                    <progress max={100} value={op.progress} aria-label={`progress of ${op.id}`} /> {op.progress}%
                    <Steps op={op} />
                    {op.error && <div className="alert">{op.error}</div>}
                  </td>
                  <td>{op.requestedBy}</td>
                  <td>
                    {new Date(op.createdAt).toLocaleString()}
                    {op.finishedAt && <div className="muted">took {Math.max(0, Math.round((Date.parse(op.finishedAt) - Date.parse(op.startedAt ?? op.createdAt)) / 100) / 10)} s</div>}
                  </td>
                  <td>
                    {op.status === "failed" && (
                      <button onClick={() => retry.mutate({ operationId: op.id })} disabled={retry.isPending}>
                        Retry
                      </button>
                    )}
                    {(op.status === "queued" || (op.status === "running" && !op.cancelledBy)) && op.kind !== "instance.terminate" && (
                      <button
                        data-testid={`operation-cancel-${op.id}`}
                        onClick={() => window.confirm(`Cancel this ${op.kind}? What it did so far is undone.`) && cancel.mutate({ operationId: op.id })}
                        disabled={cancel.isPending}
                      >
                        Cancel
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
