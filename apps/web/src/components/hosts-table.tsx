"use client";

import {
  HOST_STATUSES,
  NVI_VERSION,
  gatewayLinkUp,
  guardProblem,
  olderRelease,
  upgradeCommand,
  type HostDto,
} from "@nvi/contracts";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/client.tsx";
import { Badge } from "./ui/badge.tsx";
import { ConfirmButton } from "./ui/confirm-button.tsx";
import { DataTable, WithDetail } from "./ui/data-table.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { InputField, SelectField } from "./ui/form-card.tsx";
import { PageFooter, rowsOf } from "./ui/paged-list.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { formatDateTime, formatTime } from "./ui/time.ts";
import { useAction } from "./ui/use-form-mutation.ts";
import { usePagedTable } from "./ui/use-paged-table.ts";

const STATUS_TONE = { online: "ok", stale: "warn", offline: "bad" } as const;

/** The fabric identity the console approved (never the heartbeat's claim), a refused claim and the fabric's problem. */
function fabric(h: HostDto, approve: { isPending: boolean; mutate: (input: { hostId: HostDto["id"] }) => void }) {
  const { fabricAddress, fabricPrefixLen, fabricMac, nextHopMac, instanceBlock } = h.identity;
  return (
    <>
      {fabricAddress ? `${fabricAddress}${fabricPrefixLen !== null ? `/${fabricPrefixLen}` : ""}` : "—"}
      {/* spaces part the lines in the cell's text (copied, read out), as WithDetail does */}
      {fabricMac && (
        <div className="muted" title="the VEB's MAC; next hop's MAC after the arrow">
          {" "}
          MAC {fabricMac}
          {nextHopMac ? ` → ${nextHopMac}` : ""}
        </div>
      )}
      {instanceBlock && (
        <div className="muted" title="routed block the TSC leases instances' fabric addresses from">
          {" "}
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

/**
 * What keeps the host's instances in their place, as its agent last checked: the instance ports'
 * guard (nftables ingress chains, or the kernel datapath) and the fabric NIC's egress chain; a
 * missing guard is an alert. "—" for agents that do not report them (older, or leaving OVS alone).
 */
function guards(h: HostDto) {
  const g = h.facts.guards;
  if (!g) return <span className="muted">—</span>;
  const problem = guardProblem(g);
  const ports =
    g.ports.guard === "kernel-datapath"
      ? "kernel datapath"
      : `${g.ports.plugged - g.ports.unguarded}/${g.ports.plugged} ports`;
  const fabric =
    g.fabric.state === "active"
      ? "fabric ok"
      : g.fabric.state === "missing"
        ? "fabric missing"
        : "fabric: no block yet";
  return (
    <span title={`checked ${formatDateTime(g.checkedAt)} (${g.datapath} datapath)`}>
      <Badge tone={problem ? "bad" : g.fabric.state === "active" ? "ok" : "warn"}>{problem ? "missing" : "held"}</Badge>
      <div className="muted">
        {ports} · {fabric}
      </div>
      {problem && (
        <div className="alert" role="alert" data-testid={`host-guard-problem-${h.name}`}>
          {problem}
        </div>
      )}
    </span>
  );
}

/** The agent's release; an older one than the console's is flagged with the line that upgrades it. */
function agentVersion(h: HostDto, publicUrl: string) {
  const version = h.facts.agentVersion;
  if (!olderRelease(version, NVI_VERSION)) return version;
  return (
    <>
      <Badge tone="warn">{version}</Badge>
      <div className="alert" data-testid={`host-agent-outdated-${h.name}`}>
        older than this console ({NVI_VERSION}); upgrade on the host (traffic keeps flowing):
        <pre className="mono">{upgradeCommand(publicUrl)}</pre>
      </div>
    </>
  );
}

/** Past this many hosts a cloud's table gets its search and status filter. */
const FILTER_FROM = 10;

/**
 * Hosts of one cloud, paged by the server (`host.page`) and refreshed every few seconds so status
 * follows heartbeats; a large cloud's table can be searched and filtered by status.
 */
export function HostsTable({ cloudId, publicUrl }: { cloudId: string; publicUrl: string }) {
  const trpc = useTRPC();
  const table = usePagedTable({
    sort: { column: "host", direction: "asc" },
    sortKeys: { host: "name", seen: "seen" } as const,
    filters: { status: "" as HostDto["status"] | "" },
  });
  const hosts = useInfiniteQuery(
    trpc.host.page.infiniteQueryOptions(
      { cloudId: cloudId, ...table.input },
      { ...table.paging, refetchInterval: 3_000 },
    ),
  );
  const { rows, total } = rowsOf(hosts.data);
  const filtered = table.filtered;
  const remove = useAction(trpc.host.remove.mutationOptions());
  const rotate = useAction(trpc.host.rotateCredential.mutationOptions());
  const approve = useAction(trpc.host.approveIdentity.mutationOptions());
  return (
    <>
      <ErrorAlert error={[hosts.error, remove.error, rotate.error, approve.error]} />
      {(filtered || total > FILTER_FROM) && (
        <div className="row" role="search" aria-label="Find hosts">
          <InputField
            label="Search hosts"
            grow
            type="search"
            {...table.searchBox}
            placeholder="name or fabric address"
          />
          <SelectField label="Host status" {...table.filter("status")} options={HOST_STATUSES}>
            <option value="">any</option>
          </SelectField>
        </div>
      )}
      <DataTable
        rows={rows}
        label="Hosts"
        serverSort={table.serverSort}
        rowKey={(h) => h.id}
        anchorRows
        rowAttributes={(h) => ({ "data-testid": `host-${h.name}` })}
        style={{ margin: "12px 0" }}
        empty={
          hosts.isSuccess && <p className="muted">{filtered ? "No host matches." : "No hosts yet: add one below."}</p>
        }
        columns={[
          {
            key: "host",
            header: "Host",
            sortKey: "name",
            cell: (h) => <WithDetail main={h.name} detail={h.facts.os ?? h.facts.kernel} />,
          },
          {
            key: "status",
            header: "Status",
            cell: (h) => <Badge tone={STATUS_TONE[h.status]}>{h.status}</Badge>,
          },
          {
            key: "fabric",
            header: "Fabric address",
            className: "mono",
            cell: (h) => fabric(h, approve),
          },
          {
            key: "agent",
            header: "Agent",
            cell: (h) => agentVersion(h, publicUrl),
          },
          {
            key: "gateway",
            header: "Gateway",
            className: "mono",
            cell: (h) =>
              h.gatewayPublicAddress ? (
                <span title={`WireGuard public key ${h.identity.wireguardPublicKey ?? "not approved yet"}`}>
                  {h.gatewayPublicAddress}
                  {(h.facts.gatewayLinks ?? []).map((l) => (
                    <div
                      key={l.peerAddress}
                      className="muted"
                      title={
                        l.lastHandshakeAt ? `last handshake ${formatDateTime(l.lastHandshakeAt)}` : "no handshake yet"
                      }
                    >
                      → {l.peerAddress} {gatewayLinkUp(l, new Date()) ? "up" : "down"}
                      {typeof l.rttMs === "number" && ` · ${l.rttMs.toFixed(1)} ms`}
                      {typeof l.pathMtu === "number" && ` · MTU ${l.pathMtu}`}
                    </div>
                  ))}
                </span>
              ) : (
                "—"
              ),
          },
          { key: "guards", header: "Guards", cell: guards },
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
            cell: (h) => `${h.facts.cpus} CPU / ${Math.round(h.facts.memoryMiB / 1024)} GiB`,
          },
          {
            key: "seen",
            header: "Last seen",
            sortKey: "seen",
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
      {total > 100 && <PageFooter shown={rows.length} total={total} noun="hosts" more={hosts} />}
    </>
  );
}
