"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formText } from "../lib/form.ts";
import { errorMessage, useTRPC } from "../trpc/client.tsx";
import { EmptyState } from "./empty-state.tsx";

type Filter = { action?: string; actor?: string; targetType?: string; from?: string; to?: string };

function Change({ before, after }: { before: unknown; after: unknown }) {
  if (before == null && after == null) return <span className="muted">—</span>;
  return (
    <details>
      <summary>changes</summary>
      {before != null && <pre>before: {JSON.stringify(before, null, 2)}</pre>}
      {after != null && <pre>after: {JSON.stringify(after, null, 2)}</pre>}
    </details>
  );
}

export function AuditView() {
  const trpc = useTRPC();
  const [filter, setFilter] = useState<Filter>({});
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { ...filter, limit: 50 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined, initialCursor: undefined },
    ),
  );
  const apply = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const get = (k: string) => formText(form, k) || undefined;
    const day = (k: string, end: boolean) => {
      const v = get(k);
      return v ? new Date(`${v}T${end ? "23:59:59.999" : "00:00:00.000"}Z`).toISOString() : undefined;
    };
    setFilter({ action: get("action"), actor: get("actor"), targetType: get("targetType"), from: day("from", false), to: day("to", true) });
  };
  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <>
      <h1>Audit log</h1>
      <p className="lead">Who did what, from where, with the state before and after. Newest first.</p>
      <form className="card row" onSubmit={apply} aria-label="Filter audit log">
        <label>
          Action starts with
          <input name="action" placeholder="token." />
        </label>
        <label>
          Actor
          <input name="actor" placeholder="email or token name" />
        </label>
        <label>
          Target
          <select name="targetType" defaultValue="">
            <option value="">any</option>
            {["organization", "member", "invitation", "token", "user"].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          From
          <input name="from" type="date" />
        </label>
        <label>
          To
          <input name="to" type="date" />
        </label>
        <button type="submit">Apply</button>
      </form>
      {events.error && <div className="alert">{errorMessage(events.error)}</div>}
      {events.isSuccess && rows.length === 0 && (
        <EmptyState title="No matching events">
          <p>Loosen the filters, or make a change: sign-ins, members and tokens are all recorded here.</p>
        </EmptyState>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table data-testid="audit-table">
            <thead>
              <tr>
                <th>Time (UTC)</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th>Source IP</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td className="mono">{e.at.replace("T", " ").slice(0, 19)}</td>
                  <td>
                    {e.actorLabel} <span className="badge">{e.actorType}</span>
                  </td>
                  <td className="mono">{e.action}</td>
                  <td>
                    {e.targetType} <span className="muted mono">{e.targetId ?? ""}</span>
                  </td>
                  <td className="mono">{e.sourceIp ?? "—"}</td>
                  <td>
                    <Change before={e.before} after={e.after} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {events.hasNextPage && (
        <p>
          <button onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
            Load more
          </button>
        </p>
      )}
    </>
  );
}
