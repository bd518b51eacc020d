"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../trpc/client.tsx";
import { Badge } from "../ui/badge.tsx";
import { DataTable } from "../ui/data-table.tsx";
import { ErrorAlert } from "../ui/error-alert.tsx";
import { formatDateTime } from "../ui/time.ts";

/** Per host: the pair flows the TSC last read back from its VEB, and drift against policy. */
export function RealizationTable() {
  const trpc = useTRPC();
  const report = useQuery(trpc.policy.realization.queryOptions(undefined, { refetchInterval: 10_000 }));
  return (
    <section aria-label="Realization">
      <h2>Realization on the VEBs</h2>
      <ErrorAlert error={report.error} />
      <DataTable
        testId="realization-table"
        rows={report.data ?? []}
        rowKey={(r) => r.hostId}
        rowAttributes={(r) => ({ "data-testid": `realization-${r.hostName}` })}
        empty={
          report.data && (
            <p className="muted" data-testid="realization-empty">
              No host has reported yet: the TSC reads each VEB&apos;s pair flows back after applying a policy and
              compares them with what the policy implies.
            </p>
          )
        }
        columns={[
          { key: "host", header: "Host", sort: (r) => r.hostName, cell: (r) => r.hostName },
          { key: "checked", header: "Checked", sort: (r) => r.checkedAt, cell: (r) => formatDateTime(r.checkedAt) },
          { key: "version", header: "Policy version", sort: (r) => r.policyVersion, cell: (r) => r.policyVersion },
          { key: "flows", header: "Pair flows", sort: (r) => r.pairFlows, cell: (r) => r.pairFlows },
          {
            key: "stale",
            header: "Stale (deleted)",
            sort: (r) => r.stale,
            cell: (r) => (r.stale > 0 ? <Badge tone="warn">{r.stale}</Badge> : 0),
          },
          {
            key: "missing",
            header: "Missing",
            sort: (r) => r.missing,
            cell: (r) => (
              <>
                {r.missing > 0 ? <Badge tone="bad">{r.missing}</Badge> : 0}
                {r.details.length > 0 && (
                  <ul className="muted">
                    {r.details.map((d) => (
                      <li key={d}>{d}</li>
                    ))}
                  </ul>
                )}
              </>
            ),
          },
        ]}
      />
    </section>
  );
}
