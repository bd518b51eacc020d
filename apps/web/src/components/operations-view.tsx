"use client";

import type { OperationDto } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../trpc/client.tsx";
import { useLiveUpdates } from "./live.tsx";
import { Badge, type Tone } from "./ui/badge.tsx";
import { DataTable, WithDetail } from "./ui/data-table.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { formatDateTime, formatDuration, formatTime } from "./ui/time.ts";
import { useAction } from "./ui/use-form-mutation.ts";

export const OPERATION_STATUS_TONE: Record<OperationDto["status"], Tone> = {
  queued: "warn",
  running: "warn",
  succeeded: "ok",
  failed: "bad",
  cancelled: "muted",
};
const STEP_MARK = { pending: "○", running: "◐", done: "●", failed: "✕", skipped: "–" } as const;

export function Steps({ op }: { op: OperationDto }) {
  return (
    <ol className="steps" aria-label={`Steps of ${op.id}`}>
      {op.steps.map((s) => (
        <li key={s.name} className={`step ${s.status}`}>
          <span aria-hidden>{STEP_MARK[s.status]}</span> {s.name}
          {s.detail && <span className="muted"> — {s.detail}</span>}
          {s.at && <span className="muted"> · {formatTime(s.at)}</span>}
        </li>
      ))}
    </ol>
  );
}

/** An operation's status, progress bar and steps, as the Operations page and a policy apply show them. */
export function OperationProgress({ op }: { op: OperationDto }) {
  return (
    <>
      <progress max={100} value={op.progress} aria-label={`progress of ${op.id}`} /> {op.progress}%
      <Steps op={op} />
      {op.error && <div className="alert">{op.error}</div>}
    </>
  );
}

const cancellable = (op: OperationDto) =>
  (op.status === "queued" || (op.status === "running" && !op.cancelledBy)) && op.kind !== "instance.terminate";

export function OperationsView() {
  const trpc = useTRPC();
  const connected = useLiveUpdates();
  const target = useSearchParams().get("target") ?? undefined;
  const ops = useQuery(trpc.operation.list.queryOptions({ ...(target ? { targetId: target } : {}), limit: 100 }));
  const retry = useAction(trpc.operation.retry.mutationOptions());
  const cancel = useAction(trpc.operation.cancel.mutationOptions());
  return (
    <>
      <PageHeader
        title="Operations"
        lead={
          <>
            Every change that touches a host runs as a tracked job, with live progress here.{" "}
            <Badge tone={connected ? "ok" : "warn"} title="server-sent events from /api/live">
              {connected ? "live" : "reconnecting"}
            </Badge>
          </>
        }
      />
      {target && <p className="muted">Showing the operations of {target}.</p>}
      <ErrorAlert error={[ops.error, retry.error]} />
      <ErrorAlert error={cancel.error} testId="operation-cancel-error" />
      <DataTable
        rows={ops.data ?? []}
        rowKey={(op) => op.id}
        rowAttributes={(op) => ({ "data-testid": `operation-${op.id}` })}
        empty={
          ops.data && (
            <EmptyState title="No operations yet" action={{ href: "/instances", label: "Launch an instance" }}>
              <p>
                Launching and terminating instances (and, next, plugging policies) show up here as they run. Account and
                token changes are in the audit log.
              </p>
            </EmptyState>
          )
        }
        columns={[
          {
            key: "kind",
            header: "Operation",
            sort: (op) => op.kind,
            cell: (op) => <WithDetail main={op.kind} detail={op.targetId} mono />,
          },
          {
            key: "status",
            header: "Status",
            sort: (op) => op.status,
            cell: (op) => (
              <>
                <Badge tone={OPERATION_STATUS_TONE[op.status]}>{op.status}</Badge>
                {op.attempts > 1 && <div className="muted">attempt {op.attempts}</div>}
                {op.status === "running" && op.cancelledBy && (
                  <div className="muted">cancelling (asked by {op.cancelledBy}): stops at the next safe step</div>
                )}
              </>
            ),
          },
          {
            key: "progress",
            header: "Progress and steps",
            style: { minWidth: 260 },
            cell: (op) => <OperationProgress op={op} />,
          },
          { key: "by", header: "Asked by", sort: (op) => op.requestedBy, cell: (op) => op.requestedBy },
          {
            key: "when",
            header: "When",
            sort: (op) => op.createdAt,
            cell: (op) => (
              <>
                {formatDateTime(op.createdAt)}
                {op.finishedAt && (
                  <div className="muted">took {formatDuration(op.startedAt ?? op.createdAt, op.finishedAt)}</div>
                )}
              </>
            ),
          },
        ]}
        actions={(op) => (
          <RowActions
            label={`Actions for operation ${op.kind} ${op.id}`}
            actions={[
              op.status === "failed" && {
                label: "Retry",
                disabled: retry.isPending,
                onSelect: () => retry.mutate({ operationId: op.id }),
              },
              cancellable(op) && {
                label: "Cancel",
                testId: `operation-cancel-${op.id}`,
                disabled: cancel.isPending,
                confirm: `Cancel this ${op.kind}? What it did so far is undone.`,
                onSelect: () => cancel.mutate({ operationId: op.id }),
              },
            ]}
          />
        )}
      />
    </>
  );
}
