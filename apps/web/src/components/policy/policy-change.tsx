"use client";

import type { PolicyChangeDto } from "@nvi/contracts";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { describeChange } from "../../lib/policy-text.ts";
import { errorMessage, useTRPC } from "../../trpc/client.tsx";
import { OPERATION_STATUS_TONE, OperationProgress } from "../operations-view.tsx";
import { Badge } from "../ui/badge.tsx";
import { ErrorAlert } from "../ui/error-alert.tsx";

/** Runs one policy change: with `preview: true` first (nothing kept), then for real. */
export type ChangeRun = (o: { preview: boolean }) => Promise<PolicyChangeDto>;

interface FlowState {
  title: string;
  run: ChangeRun;
  phase: "previewing" | "previewed" | "applying" | "applied";
  preview?: PolicyChangeDto;
  applied?: PolicyChangeDto;
  error?: string;
}

export interface PolicyChangeFlow {
  state: FlowState | null;
  /** a preview or an apply is under way: the panel's other changes wait */
  busy: boolean;
  /** asks for the preview of a change; the panel then offers Apply / Cancel */
  start: (title: string, run: ChangeRun) => void;
  apply: () => void;
  cancel: () => void;
}

/**
 * Every policy change in the console goes through here: preview (which instance pairs gain or lose
 * access), then Apply or Cancel, then the apply operation's progress. Nothing is kept by a preview.
 */
export function usePolicyChange(onApplied?: (r: PolicyChangeDto) => void): PolicyChangeFlow {
  const queryClient = useQueryClient();
  const [state, setState] = useState<FlowState | null>(null);
  // what the change was asked from (a matrix cell, a form's button): focus goes back to it on close
  const opener = useRef<HTMLElement | null>(null);
  const start = (title: string, run: ChangeRun) => {
    opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setState({ title, run, phase: "previewing" });
    run({ preview: true }).then(
      (preview) => setState((s) => (s?.run === run ? { ...s, phase: "previewed", preview } : s)),
      (e: unknown) => setState((s) => (s?.run === run ? { ...s, phase: "previewed", error: errorMessage(e) } : s)),
    );
  };
  const apply = () => {
    if (!state?.preview) return;
    const { run } = state;
    setState({ ...state, phase: "applying", error: undefined });
    run({ preview: false }).then(
      async (applied) => {
        setState((s) => (s?.run === run ? { ...s, phase: "applied", applied } : s));
        onApplied?.(applied);
        await queryClient.invalidateQueries();
      },
      (e: unknown) => setState((s) => (s?.run === run ? { ...s, phase: "previewed", error: errorMessage(e) } : s)),
    );
  };
  return {
    state,
    busy: state?.phase === "previewing" || state?.phase === "applying",
    start,
    apply,
    cancel: () => {
      setState(null);
      if (opener.current?.isConnected) opener.current.focus();
      opener.current = null;
    },
  };
}

const CHANGE_TONE = { gains: "ok", loses: "bad", changes: "warn" } as const;

export function ChangeList({ changes, pairsChecked }: { changes: PolicyChangeDto["changes"]; pairsChecked: number }) {
  if (changes.length === 0)
    return (
      <p className="muted" data-testid="policy-preview-none">
        No instance pair gains or loses access ({pairsChecked} pair(s) checked).
      </p>
    );
  return (
    <ul className="changes" data-testid="policy-preview-changes">
      {changes.map((c) => (
        <li key={`${c.from.instanceId || c.from.address}>${c.to.instanceId || c.to.address}`} data-change={c.change}>
          <Badge tone={CHANGE_TONE[c.change]}>{c.change}</Badge> {describeChange(c)}
        </li>
      ))}
    </ul>
  );
}

/** The `policy.apply` operation, polled until it ends: per-VEB confirmation times in its steps. */
export function ApplyProgress({ operationId }: { operationId: string }) {
  const trpc = useTRPC();
  const op = useQuery(
    trpc.operation.get.queryOptions(
      { operationId },
      {
        refetchInterval: (q) =>
          q.state.data && ["succeeded", "failed", "cancelled"].includes(q.state.data.status) ? false : 500,
      },
    ),
  );
  if (op.error) return <ErrorAlert error={op.error} />;
  if (!op.data) return <p className="muted">Queued…</p>;
  const o = op.data;
  return (
    <div data-testid="policy-operation" data-status={o.status}>
      <p>
        Applying on every VEB: <Badge tone={OPERATION_STATUS_TONE[o.status]}>{o.status}</Badge>{" "}
        <span className="muted mono">{o.id}</span>
      </p>
      <OperationProgress op={o} />
    </div>
  );
}

/** Where a flow shows: the preview with Apply / Cancel, then the operation's progress. */
export function PolicyChangePanel({ flow, testId = "policy-change" }: { flow: PolicyChangeFlow; testId?: string }) {
  const s = flow.state;
  // the preview (or its error) takes the focus once it is in: the keyboard goes on to Apply / Cancel
  // from there, and Escape cancels
  const panel = useRef<HTMLDivElement>(null);
  const ready = s?.phase === "previewed";
  useEffect(() => {
    if (ready) panel.current?.focus();
  }, [ready]);
  if (!s) return null;
  return (
    <div
      ref={panel}
      tabIndex={-1}
      className="card change-panel"
      data-testid={testId}
      data-phase={s.phase}
      role="region"
      aria-label={s.title}
      onKeyDown={(e) => {
        if (e.key !== "Escape" || s.phase === "applying") return;
        e.preventDefault();
        flow.cancel();
      }}
    >
      <h3 style={{ marginTop: 0 }}>{s.title}</h3>
      {s.phase === "previewing" && <p className="muted">Working out which instance pairs this changes…</p>}
      <ErrorAlert error={s.error} />
      {s.preview && s.phase !== "applied" && (
        <>
          <p className="muted">Preview — nothing is changed until you apply:</p>
          <ChangeList changes={s.preview.changes} pairsChecked={s.preview.pairsChecked} />
          <div className="row">
            <button
              className="primary"
              onClick={flow.apply}
              disabled={s.phase === "applying"}
              data-testid={`${testId}-apply`}
            >
              {s.phase === "applying" ? "Applying…" : "Apply"}
            </button>
            <button onClick={flow.cancel} data-testid={`${testId}-cancel`}>
              Cancel
            </button>
          </div>
        </>
      )}
      {s.phase === "previewed" && !s.preview && (
        <button onClick={flow.cancel} data-testid={`${testId}-cancel`}>
          Close
        </button>
      )}
      {s.applied && (
        <>
          <p>
            Policy version {s.applied.policyVersion}: {s.applied.changes.length} instance pair(s) changed.
          </p>
          {s.applied.operationId ? (
            <ApplyProgress operationId={s.applied.operationId} />
          ) : (
            <p className="muted">Nothing to apply on the VEBs.</p>
          )}
          <button onClick={flow.cancel} data-testid={`${testId}-close`}>
            Close
          </button>
        </>
      )}
    </div>
  );
}
