"use client";

import type { OperationDto } from "@nvi/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "../trpc/client.tsx";
import { OPERATION_STATUS_TONE } from "./operations-view.tsx";
import { Badge } from "./ui/badge.tsx";
import { confirmed } from "./ui/confirm-button.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";

type Action = "stop" | "start" | "terminate";
const LABEL: Record<Action, string> = { stop: "Stop", start: "Start", terminate: "Terminate" };
const finished = (op: OperationDto) => op.status === "succeeded" || op.status === "failed" || op.status === "cancelled";

/**
 * Stop, start or terminate the ticked instances (one operation each, `instance.bulk`), then one
 * progress view for all of them: a bar over the operations' mean progress, a count per status,
 * and a line per instance (refusals included) linked to its operation.
 */
export function BulkActions({ selected, onDone }: { selected: ReadonlySet<string>; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const bulk = useMutation(trpc.instance.bulk.mutationOptions());
  const [run, setRun] = useState<{ action: Action; results: NonNullable<typeof bulk.data>["results"] } | null>(null);
  const region = useRef<HTMLDivElement>(null);
  // focus stays with the work: the bar's button goes away with the ticks, the progress region takes it
  useEffect(() => {
    if (run) region.current?.focus();
  }, [run]);
  const ids = (run?.results ?? []).flatMap((r) => (r.operationId ? [r.operationId] : []));
  const ops = useQuery(
    trpc.operation.page.queryOptions(
      { ids: ids, limit: 200 },
      {
        enabled: ids.length > 0,
        refetchInterval: (q) => (q.state.data?.items.every(finished) ? false : 1000),
      },
    ),
  );
  const act = (action: Action) => {
    const n = selected.size;
    if (action === "terminate" && !confirmed(`Terminate ${n} instance(s)? Their addresses are released.`)) return;
    bulk.mutate(
      { action, instanceIds: [...selected] as never },
      {
        onSuccess: (r) => {
          setRun({ action, results: r.results });
          onDone();
          void queryClient.invalidateQueries();
        },
      },
    );
  };
  const items = ops.data?.items ?? [];
  const byId = new Map(items.map((o) => [o.id as string, o]));
  const mean = items.length ? Math.round(items.reduce((n, o) => n + o.progress, 0) / items.length) : 0;
  const counts = Object.entries(
    items.reduce<Record<string, number>>((m, o) => ({ ...m, [o.status]: (m[o.status] ?? 0) + 1 }), {}),
  );
  return (
    <>
      {selected.size > 0 && (
        <div className="card row bulk-bar" role="toolbar" aria-label="Bulk actions" data-testid="bulk-bar">
          <strong>{selected.size} selected</strong>
          {(["stop", "start", "terminate"] as const).map((a) => (
            <button
              key={a}
              type="button"
              className={a === "terminate" ? "danger" : undefined}
              disabled={bulk.isPending}
              onClick={() => act(a)}
              data-testid={`bulk-${a}`}
            >
              {LABEL[a]} {selected.size}
            </button>
          ))}
        </div>
      )}
      <ErrorAlert error={bulk.error} />
      {run && (
        <div
          className="card"
          ref={region}
          tabIndex={-1}
          role="region"
          aria-label="Bulk progress"
          data-testid="bulk-progress"
          data-done={ids.length === items.length && items.every(finished)}
        >
          <div className="row">
            <strong>
              {LABEL[run.action]}: {ids.length} operation(s)
            </strong>
            <progress max={100} value={mean} aria-label="combined progress" /> {mean}%
            {counts.map(([status, n]) => (
              <Badge key={status} tone={OPERATION_STATUS_TONE[status as OperationDto["status"]]}>
                {n} {status}
              </Badge>
            ))}
            <button type="button" onClick={() => setRun(null)}>
              Close
            </button>
          </div>
          <ul className="bulk-lines">
            {run.results.map((r) => {
              const op = r.operationId ? byId.get(r.operationId) : undefined;
              return (
                <li key={r.instanceId} data-testid={`bulk-line-${r.name ?? r.instanceId}`}>
                  {r.name ?? r.instanceId}:{" "}
                  {r.error ? (
                    <span className="error-text">{r.error}</span>
                  ) : op ? (
                    <>
                      <Badge tone={OPERATION_STATUS_TONE[op.status]}>{op.status}</Badge>{" "}
                      <Link href={`/operations?target=${encodeURIComponent(r.instanceId)}`} title={op.id}>
                        {op.kind}
                      </Link>
                    </>
                  ) : (
                    "queued"
                  )}
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </>
  );
}
