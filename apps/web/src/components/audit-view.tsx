"use client";

import { AUDIT_TARGET_TYPES, AuditTargetType } from "@nvi/contracts";
import { useInfiniteQuery } from "@tanstack/react-query";
import { AUDIT_TABLE } from "../lib/first-pages.ts";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { Badge } from "./ui/badge.tsx";
import { DataTable } from "./ui/data-table.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { InputField, SelectField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { TargetLink } from "./ui/target-link.tsx";
import { formatUtc } from "./ui/time.ts";
import { useFormSubmit } from "./ui/use-form-mutation.ts";
import { nextPageParam } from "./ui/paged-input.ts";
import { usePagedTable } from "./ui/use-paged-table.ts";

type Filter = {
  search?: string;
  action?: string;
  actor?: string;
  targetType?: AuditTargetType;
  from?: string;
  to?: string;
};

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

/** The filter form's fields as the API's filter; a day's bounds in UTC, as the table's times are. */
function readFilter(form: FormData): Filter {
  const get = (k: string) => formText(form, k) || undefined;
  const day = (k: string, edge: "start" | "end") => {
    const v = get(k);
    return v ? new Date(`${v}T${edge === "end" ? "23:59:59.999" : "00:00:00.000"}Z`).toISOString() : undefined;
  };
  return {
    search: get("search"),
    action: get("action"),
    actor: get("actor"),
    targetType: AuditTargetType.optional().catch(undefined).parse(get("targetType")),
    from: day("from", "start"),
    to: day("to", "end"),
  };
}

export function AuditView() {
  const trpc = useTRPC();
  // the filters come from the form as a whole (on Apply); the log has one order, by time, newest first
  const table = usePagedTable<Filter>({ ...AUDIT_TABLE, filters: {} });
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { ...table.input, ...(table.sort?.direction === "asc" ? { order: "asc" as const } : {}) },
      { getNextPageParam: nextPageParam, initialCursor: undefined },
    ),
  );
  const { formProps } = useFormSubmit(readFilter, table.setFilters);
  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];
  return (
    <>
      <PageHeader
        title="Audit log"
        lead="Who did what, from where, with the state before and after. Newest first unless you sort by time."
      />
      <form className="card row" role="search" aria-label="Filter audit log" {...formProps}>
        <InputField label="Search" grow type="search" name="search" placeholder="action, who, or an object's name" />
        <InputField label="Action starts with" name="action" placeholder="token." />
        <InputField label="Actor" name="actor" placeholder="email or token name" />
        <SelectField label="Target" name="targetType" defaultValue="" options={AUDIT_TARGET_TYPES}>
          <option value="">any</option>
        </SelectField>
        <InputField label="From" name="from" type="date" />
        <InputField label="To" name="to" type="date" />
        <button type="submit">Apply</button>
      </form>
      <ErrorAlert error={events.error} />
      <DataTable
        testId="audit-table"
        rows={rows}
        rowKey={(e) => e.id}
        label="Audit log"
        serverSort={{
          sort: table.sort,
          onSort: (next) => table.serverSort.onSort(next ?? { column: "at", direction: "asc" }),
        }}
        empty={
          events.isSuccess && (
            <EmptyState title="No matching events">
              <p>Loosen the filters, or make a change: sign-ins, members and tokens are all recorded here.</p>
            </EmptyState>
          )
        }
        columns={[
          { key: "at", header: "Time (UTC)", className: "mono", sortKey: "at", cell: (e) => formatUtc(e.at) },
          {
            key: "actor",
            header: "Actor",
            cell: (e) => (
              <>
                {e.actorLabel} <Badge>{e.actorType}</Badge>
              </>
            ),
          },
          { key: "action", header: "Action", className: "mono", cell: (e) => e.action },
          {
            key: "target",
            header: "Target",
            cell: (e) => <TargetLink type={e.targetType} id={e.targetId} name={e.targetName} />,
          },
          { key: "ip", header: "Source IP", className: "mono", cell: (e) => e.sourceIp ?? "—" },
          { key: "details", header: "Details", cell: (e) => <Change before={e.before} after={e.after} /> },
        ]}
      />
      {events.hasNextPage && (
        <p className="page-footer">
          <span aria-live="polite" data-testid="page-count">
            Showing {rows.length.toLocaleString("en")} events
          </span>
          <button type="button" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
            {events.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </p>
      )}
    </>
  );
}
