"use client";

import { instanceStatusLabel, type TopologyHostDto } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { Handle, Position, useStore, type NodeProps } from "@xyflow/react";
import Link from "next/link";
import { useTRPC } from "../../trpc/client.tsx";
import { INST_SHOWN, type TopoNode } from "./graph.ts";

type Props<K extends TopoNode["type"]> = NodeProps<Extract<TopoNode, { type: K }>>;

/** Below this zoom a host shows its name and counts in large type instead of its instance list. */
const COMPACT_BELOW = 0.6;
const zoomOf = (s: { transform: [number, number, number] }) => s.transform[2];
/**
 * Whether the canvas has been fitted: before its first fit it draws every node at zoom 1, which
 * would have all 100 hosts ask for their instances just before the fit shrinks them to counts.
 */
const fitted = (s: { fitViewQueued: boolean }) => !s.fitViewQueued;

const HOST_TONE = { online: "ok", stale: "warn", offline: "bad" } as const;
const INSTANCE_TONE: Record<string, string> = {
  running: "ok",
  failed: "bad",
  stopped: "muted",
  terminated: "muted",
};

/** Edges end on these; only a group's handles can start a connection (a plug). */
function Ends({ side = false }: { side?: boolean }) {
  return (
    <>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
      {side && (
        <>
          <Handle id="side-in" type="target" position={Position.Left} isConnectable={false} />
          <Handle id="side-out" type="source" position={Position.Right} isConnectable={false} />
        </>
      )}
    </>
  );
}

export function FabricNode({ data }: Props<"fabric">) {
  return (
    <div className="topo-fabric" data-testid="topo-fabric" data-state={data.state}>
      <strong>Routed underlay</strong>
      <div className="muted">
        {data.clouds} cloud(s) · {data.state}
      </div>
      <Ends />
    </div>
  );
}

export function CloudNode({ data }: Props<"cloud">) {
  const { cloud } = data;
  return (
    <div
      className="topo-cloud"
      data-testid={`topo-cloud-${cloud.name}`}
      data-selected={data.selected}
      data-interconnect={cloud.interconnect}
    >
      <div className="topo-cloud-head">
        <Link href={`/clouds#${cloud.id}`} className="nodrag">
          {cloud.name}
        </Link>
        <span className="muted">
          {" "}
          {cloud.kind} · {cloud.region}/{cloud.datacenter} · {data.hosts} host(s)
          {cloud.interconnect === "gateway" ? " · gateways" : ""}
        </span>
      </div>
      {data.hosts === 0 && <div className="muted">no hosts yet</div>}
      <Ends />
    </div>
  );
}

/**
 * A host's first instances by name, fetched when the host is drawn large enough to list them (the
 * page's own query only counts them): at 100 hosts the fitted canvas asks for none, and zooming in
 * asks for the few hosts on screen (React Flow renders only visible nodes; tRPC batches the calls).
 */
function HostInstances({ host, vpcColour }: { host: TopologyHostDto; vpcColour: Record<string, string> }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.instance.page.queryOptions({ hostId: host.id, limit: INST_SHOWN, sort: "name" }));
  const more = (list.data?.total ?? host.instanceCount ?? 0) - INST_SHOWN;
  if (!list.data) return <div className="muted">{host.instanceCount} instance(s)…</div>;
  return (
    <ul className="topo-instances">
      {list.data.items.map((i) => (
        <li
          key={i.id}
          data-testid={`topo-instance-${i.name}`}
          data-status={i.status}
          style={{ borderLeftColor: vpcColour[i.vpcId] }}
        >
          <span className={`dot ${INSTANCE_TONE[i.status] ?? "warn"}`} aria-hidden />
          <Link href={`/instances?search=${encodeURIComponent(i.name)}`} className="nodrag">
            {i.name}
          </Link>{" "}
          <span className="muted mono">{i.address}</span>
          <span className="sr-only"> ({instanceStatusLabel(i)})</span>
        </li>
      ))}
      {more > 0 && (
        <li>
          <Link href={`/instances?search=${encodeURIComponent(host.name)}`} className="nodrag">
            +{more} more
          </Link>
        </li>
      )}
    </ul>
  );
}

export function HostNode({ data }: Props<"host">) {
  const compact = useStore(zoomOf) < COMPACT_BELOW;
  const settled = useStore(fitted);
  const { host } = data;
  return (
    <div
      className={`topo-host${compact ? " compact" : ""}`}
      data-testid={`topo-host-${host.name}`}
      data-status={host.status}
    >
      <div className="topo-host-head">
        <span className={`dot ${HOST_TONE[host.status]}`} title={host.status} aria-hidden />
        <Link href={`/clouds#${host.id}`} className="nodrag topo-host-name" title={host.name}>
          {host.name}
        </Link>
        <span className="sr-only"> ({host.status})</span>
      </div>
      {compact ? (
        <div className="topo-host-count">
          {host.instanceCount !== null && <>{host.instanceCount} instance(s)</>}
          {host.gatewayPublicAddress && (
            <span className="badge" data-testid={`topo-gateway-${host.name}`}>
              gateway
            </span>
          )}
        </div>
      ) : (
        <>
          <div className="muted mono topo-host-sub">
            {host.fabricAddress ?? "no fabric address"}
            {host.gatewayPublicAddress && (
              <span className="badge" data-testid={`topo-gateway-${host.name}`}>
                gateway {host.gatewayPublicAddress}
              </span>
            )}
          </div>
          {settled && (host.instanceCount ?? 0) > 0 && <HostInstances host={host} vpcColour={data.vpcColour} />}
        </>
      )}
      <Ends side={host.gatewayPublicAddress !== null} />
    </div>
  );
}

export function VpcNode({ data }: Props<"vpc">) {
  const { vpc, subnets } = data;
  return (
    <div className="topo-vpc" data-testid={`topo-vpc-${vpc.name}`} style={{ borderColor: data.colour }}>
      {/* the VPC's colour on its border and a swatch: as a text colour it is unreadable on one theme or the other */}
      <span className="vpc-swatch" style={{ background: data.colour }} aria-hidden />
      <Link href={`/vpcs#${vpc.id}`} className="nodrag">
        {vpc.name}
      </Link>{" "}
      <span className="mono">{vpc.cidr}</span>
      <div className="muted mono">{subnets.length ? subnets.map((s) => s.cidr).join(", ") : "no subnets yet"}</div>
      <Ends />
    </div>
  );
}

export function GroupNode({ data }: Props<"group">) {
  return (
    <div className="topo-group" data-testid={`topo-group-${data.name}`}>
      <Handle id="plug-in" type="target" position={Position.Left} className="plug-handle" />
      <Link href="/policies" className="nodrag">
        {data.name}
      </Link>
      <div className="muted">
        {data.members} member(s){data.self ? ` · ↺ ${data.self} within` : ""}
      </div>
      <Handle
        id="plug-out"
        type="source"
        position={Position.Right}
        className="plug-handle"
        data-testid={`topo-plug-from-${data.name}`}
      />
    </div>
  );
}

export const NODE_TYPES = {
  fabric: FabricNode,
  cloud: CloudNode,
  host: HostNode,
  vpc: VpcNode,
  group: GroupNode,
};
