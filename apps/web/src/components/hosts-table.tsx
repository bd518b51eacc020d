"use client";

import type { HostDto } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/client.tsx";
import { Badge } from "./ui/badge.tsx";
import { ConfirmButton } from "./ui/confirm-button.tsx";
import { DataTable, WithDetail } from "./ui/data-table.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { formatDateTime, formatTime } from "./ui/time.ts";
import { useAction } from "./ui/use-form-mutation.ts";

const STATUS_TONE = { online: "ok", stale: "warn", offline: "bad" } as const;

/** The fabric identity the console approved (never the heartbeat's claim), a refused claim and the fabric's problem. */
function fabric(h: HostDto, approve: { isPending: boolean; mutate: (input: { hostId: HostDto["id"] }) => void }) {
  const { fabricAddress, fabricPrefixLen, fabricMac, nextHopMac, instanceBlock } = h.identity;
  return (
    <>
      {fabricAddress ? `${fabricAddress}${fabricPrefixLen !== null ? `/${fabricPrefixLen}` : ""}` : "—"}
      {fabricMac && (
        <div className="muted" title="the VEB's MAC; next hop's MAC after the arrow">
          {fabricMac}
          {nextHopMac ? ` → ${nextHopMac}` : ""}
        </div>
      )}
      {instanceBlock && (
        <div className="muted" title="routed block the TSC leases instances' fabric addresses from">
          instances {instanceBlock}
        </div>
      )}
      {h.identityClaim && (
        <div className="alert" role="alert" data-testid={`host-identity-claim-${h.name}`}>
          identity claim refused: {h.identityClaim.reason}{" "}
          <ConfirmButton
            danger={false}
            disabled={approve.isPending}
            confirm={`Approve the identity ${h.name} now claims (a re-installed machine)?`}
            onConfirm={() => approve.mutate({ hostId: h.id })}
          >
            Approve
          </ConfirmButton>
        </div>
      )}
      {h.fabricProblem && (
        <div className="alert" data-testid={`host-fabric-problem-${h.name}`}>
          {h.fabricProblem}
        </div>
      )}
    </>
  );
}

/** Hosts of one cloud, refreshed every few seconds so status follows heartbeats. */
export function HostsTable({ cloudId }: { cloudId: string }) {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.host.list.queryOptions({ cloudId }, { refetchInterval: 3_000 }));
  const remove = useAction(trpc.host.remove.mutationOptions());
  const rotate = useAction(trpc.host.rotateCredential.mutationOptions());
  const approve = useAction(trpc.host.approveIdentity.mutationOptions());
  return (
    <>
      <ErrorAlert error={[hosts.error, remove.error, rotate.error, approve.error]} />
      <DataTable
        rows={hosts.data ?? []}
        rowKey={(h) => h.id}
        rowAttributes={(h) => ({ "data-testid": `host-${h.name}` })}
        style={{ margin: "12px 0" }}
        empty={hosts.data && <p className="muted">No hosts yet: add one below.</p>}
        columns={[
          {
            key: "host",
            header: "Host",
            sort: (h) => h.name,
            cell: (h) => <WithDetail main={h.name} detail={h.facts.os ?? h.facts.kernel} />,
          },
          {
            key: "status",
            header: "Status",
            sort: (h) => h.status,
            cell: (h) => <Badge tone={STATUS_TONE[h.status]}>{h.status}</Badge>,
          },
          {
            key: "fabric",
            header: "Fabric address",
            className: "mono",
            sort: (h) => h.identity.fabricAddress,
            cell: (h) => fabric(h, approve),
          },
          { key: "ovs", header: "OVS", cell: (h) => h.facts.ovsVersion ?? <span className="muted">missing</span> },
          {
            key: "runtimes",
            header: "Runtimes",
            cell: (h) =>
              Object.entries(h.facts.runtimes)
                .filter(([, on]) => on)
                .map(([name]) => name)
                .join(", ") || "—",
          },
          {
            key: "size",
            header: "CPU / memory",
            sort: (h) => h.facts.cpus,
            cell: (h) => `${h.facts.cpus} CPU / ${Math.round(h.facts.memoryMiB / 1024)} GiB`,
          },
          {
            key: "seen",
            header: "Last seen",
            sort: (h) => h.lastSeenAt,
            cell: (h) => (
              <>
                {formatTime(h.lastSeenAt)}
                {h.credentialRotationRequestedAt ? (
                  <div className="muted" data-testid={`host-credential-rotating-${h.name}`}>
                    credential rotation pending (next heartbeat)
                  </div>
                ) : (
                  h.credentialIssuedAt && (
                    <div className="muted">credential issued {formatDateTime(h.credentialIssuedAt)}</div>
                  )
                )}
              </>
            ),
          },
        ]}
        actions={(h) => (
          <RowActions
            label={`Actions for host ${h.name}`}
            actions={[
              {
                label: "Rotate credential",
                testId: `host-rotate-${h.name}`,
                disabled: rotate.isPending || h.credentialRotationRequestedAt !== null,
                confirm: `Rotate the credential of ${h.name}? Its agent picks the new one up on its next heartbeat; the old one then stops working.`,
                onSelect: () => rotate.mutate({ hostId: h.id }),
              },
              {
                label: "Remove",
                danger: true,
                confirm: `Remove host ${h.name}? Its agent is refused from now on.`,
                onSelect: () => remove.mutate({ hostId: h.id }),
              },
            ]}
          />
        )}
      />
    </>
  );
}
