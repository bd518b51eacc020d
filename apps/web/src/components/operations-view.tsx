"use client";

import { OPERATION_STATUSES, type OperationDto } from "@nvi/contracts";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useTRPC } from "../trpc/client.tsx";
import { useLiveUpdates } from "./live.tsx";
import { Badge, type Tone } from "./ui/badge.tsx";
import { DataTable, WithDetail } from "./ui/data-table.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { InputField, SelectField } from "./ui/form-card.tsx";
import { PageFooter, rowsOf } from "./ui/paged-list.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { TargetLink } from "./ui/target-link.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { formatDateTime, formatDuration, formatTime } from "./ui/time.ts";
import { useAction } from "./ui/use-form-mutation.ts";
import { usePagedTable } from "./ui/use-paged-table.ts";

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
  const table = usePagedTable({
    sort: { column: "when", direction: "desc" },
    sortKeys: { when: "created", kind: "kind" } as const,
    filters: { status: "" as OperationDto["status"] | "" },
  });
  const list = useInfiniteQuery(
    trpc.operation.page.infiniteQueryOptions({ ...table.input, ...(target ? { targetId: target } : {}) }, table.paging),
  );
  const { rows, total } = rowsOf(list.data);
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
      {target && (
        <p className="muted">
          Showing the operations of {rows.find((o) => o.targetId === target)?.targetName ?? target}.
        </p>
      )}
      <div className="card row" role="search" aria-label="Find operations">
        <InputField
          label="Search"
          grow
          type="search"
          {...table.searchBox}
          placeholder="kind, who asked, or the instance or host's name"
        />
        <SelectField label="Status" {...table.filter("status")} options={OPERATION_STATUSES}>
          <option value="">any</option>
        </SelectField>
      </div>
      <ErrorAlert error={[list.error, retry.error]} />
      <ErrorAlert error={cancel.error} testId="operation-cancel-error" />
      <DataTable
        rows={rows}
        label="Operations"
        serverSort={table.serverSort}
        rowKey={(op) => op.id}
        rowAttributes={(op) => ({ "data-testid": `operation-${op.id}` })}
        empty={
          list.isSuccess &&
          (table.filtered ? (
            <p className="muted">No operation matches.</p>
          ) : (
            <EmptyState title="No operations yet" action={{ href: "/instances", label: "Launch an instance" }}>
              <p>
                Launching and terminating instances (and, next, plugging policies) show up here as they run. Account and
                token changes are in the audit log.
              </p>
            </EmptyState>
          ))
        }
        columns={[
          {
            key: "kind",
            header: "Operation",
            sortKey: "kind",
            cell: (op) => (
              <WithDetail
                main={op.kind}
                detail={<TargetLink type={op.targetType} id={op.targetId} name={op.targetName} />}
              />
            ),
          },
          {
            key: "status",
            header: "Status",
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
          { key: "by", header: "Asked by", cell: (op) => op.requestedBy },
          {
            key: "when",
            header: "When",
            sortKey: "created",
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
      <PageFooter shown={rows.length} total={total} noun="operations" more={list} />
    </>
  );
}
