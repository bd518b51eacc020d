"use client";

import { useQuery } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "../../trpc/client.tsx";

/** Per host: the pair flows the TSC last read back from its VEB, and drift against policy. */
export function RealizationTable() {
  const trpc = useTRPC();
  const report = useQuery(trpc.policy.realization.queryOptions(undefined, { refetchInterval: 10_000 }));
  return (
    <section aria-label="Realization">
      <h2>Realization on the VEBs</h2>
      {report.error && <div className="alert">{errorMessage(report.error)}</div>}
      {report.data?.length === 0 && (
        <p className="muted" data-testid="realization-empty">
          No host has reported yet: the TSC reads each VEB&apos;s pair flows back after applying a policy and compares them with what the policy implies.
        </p>
      )}
      {(report.data?.length ?? 0) > 0 && (
        <div className="table-wrap">
          <table data-testid="realization-table">
            <thead>
              <tr>
                <th>Host</th>
                <th>Checked</th>
                <th>Policy version</th>
                <th>Pair flows</th>
                <th>Stale (deleted)</th>
                <th>Missing</th>
              </tr>
            </thead>
            <tbody>
              {report.data?.map((r) => (
                <tr key={r.hostId} data-testid={`realization-${r.hostName}`}>
                  <td>{r.hostName}</td>
                  <td>{new Date(r.checkedAt).toLocaleString()}</td>
                  <td>{r.policyVersion}</td>
                  <td>{r.pairFlows}</td>
                  <td>{r.stale > 0 ? <span className="badge warn">{r.stale}</span> : 0}</td>
                  <td>
                    {r.missing > 0 ? <span className="badge bad">{r.missing}</span> : 0}
                    {r.details.length > 0 && (
                      <ul className="muted">
                        {r.details.map((d) => (
                          <li key={d}>{d}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
