"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "../trpc/client.tsx";

const STATUS_CLASS = { online: "ok", stale: "warn", offline: "bad" } as const;

/** Hosts of one cloud, refreshed every few seconds so status follows heartbeats. */
export function HostsTable({ cloudId }: { cloudId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hosts = useQuery(trpc.host.list.queryOptions({ cloudId }, { refetchInterval: 3_000 }));
  const remove = useMutation(trpc.host.remove.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  const rotate = useMutation(trpc.host.rotateCredential.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  const approve = useMutation(trpc.host.approveIdentity.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  if (hosts.error) return <div className="alert">{errorMessage(hosts.error)}</div>;
  if (!hosts.data?.length) return <p className="muted">No hosts yet: add one below.</p>;
  return (
    <div className="table-wrap" style={{ margin: "12px 0" }}>
      <table>
        <thead>
          <tr>
            <th>Host</th>
            <th>Status</th>
            <th>Fabric address</th>
            <th>OVS</th>
            <th>Runtimes</th>
            <th>CPU / memory</th>
            <th>Last seen</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {hosts.data.map((h) => (
            <tr key={h.id} data-testid={`host-${h.name}`}>
              <td>
                {h.name}
                <div className="muted">{h.facts.os ?? h.facts.kernel}</div>
              </td>
              <td>
                <span className={`badge ${STATUS_CLASS[h.status]}`}>{h.status}</span>
              </td>
              <td className="mono">
                {h.identity.fabricAddress ? `${h.identity.fabricAddress}${h.identity.fabricPrefixLen !== null ? `/${h.identity.fabricPrefixLen}` : ""}` : "—"}
                {h.identity.fabricMac && <div className="muted" title="the VEB's MAC; next hop's MAC after the arrow">{h.identity.fabricMac}{h.identity.nextHopMac ? ` → ${h.identity.nextHopMac}` : ""}</div>}
                {h.identity.instanceBlock && <div className="muted" title="routed block the TSC leases instances' fabric addresses from">instances {h.identity.instanceBlock}</div>}
                {h.identityClaim && (
                  <div className="alert" role="alert" data-testid={`host-identity-claim-${h.name}`}>
                    identity claim refused: {h.identityClaim.reason}{" "}
                    <button disabled={approve.isPending} onClick={() => window.confirm(`Approve the identity ${h.name} now claims (a re-installed machine)?`) && approve.mutate({ hostId: h.id })}>
                      Approve
                    </button>
                  </div>
                )}
                {h.fabricProblem && <div className="alert" data-testid={`host-fabric-problem-${h.name}`}>{h.fabricProblem}</div>}
              </td>
              <td>{h.facts.ovsVersion ?? <span className="muted">missing</span>}</td>
              <td>
                {Object.entries(h.facts.runtimes)
                  .filter(([, on]) => on)
                  .map(([name]) => name)
                  .join(", ") || "—"}
              </td>
              <td>
                {h.facts.cpus} CPU / {Math.round(h.facts.memoryMiB / 1024)} GiB
              </td>
              <td>
                {new Date(h.lastSeenAt).toLocaleTimeString()}
                {h.credentialRotationRequestedAt ? (
                  <div className="muted" data-testid={`host-credential-rotating-${h.name}`}>credential rotation pending (next heartbeat)</div>
                ) : (
                  h.credentialIssuedAt && <div className="muted">credential issued {new Date(h.credentialIssuedAt).toLocaleString()}</div>
                )}
              </td>
              <td>
                <button
                  data-testid={`host-rotate-${h.name}`}
                  disabled={rotate.isPending || h.credentialRotationRequestedAt !== null}
                  onClick={() => window.confirm(`Rotate the credential of ${h.name}? Its agent picks the new one up on its next heartbeat; the old one then stops working.`) && rotate.mutate({ hostId: h.id })}
                >
                  Rotate credential
                </button>{" "}
                <button className="danger" onClick={() => window.confirm(`Remove host ${h.name}? Its agent is refused from now on.`) && remove.mutate({ hostId: h.id })}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {remove.error && <div className="alert" role="alert">{errorMessage(remove.error)}</div>}
      {rotate.error && <div className="alert" role="alert">{errorMessage(rotate.error)}</div>}
      {approve.error && <div className="alert" role="alert">{errorMessage(approve.error)}</div>}
    </div>
  );
}
