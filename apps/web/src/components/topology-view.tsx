"use client";

import { useQueries, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { DrawVpcPanel } from "./draw-vpc.tsx";
import { useTRPC } from "../trpc/client.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { useLiveUpdates } from "./live.tsx";
import { TopologyCanvas } from "./topology-canvas.tsx";
import { useDrawing } from "./topology-drawing.ts";
import { layout } from "./topology-layout.ts";

export function TopologyView() {
  const trpc = useTRPC();
  const drawing = useDrawing();
  const [created, setCreated] = useState<string | null>(null);
  const clouds = useQuery(trpc.cloud.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const hosts = useQuery(trpc.host.list.queryOptions({}, { refetchInterval: 3_000 }));
  const vpcs = useQuery(trpc.vpc.list.queryOptions());
  const instances = useQuery(trpc.instance.list.queryOptions({}));
  useLiveUpdates();
  const subnets = useQueries({ queries: (vpcs.data ?? []).map((v) => trpc.subnet.list.queryOptions({ vpcId: v.id })) });
  if (!clouds.data || !hosts.data || !vpcs.data) return <p className="muted">Loading…</p>;
  if (clouds.data.length === 0) {
    return (
      <>
        <PageHeader title="Topology" />
        <EmptyState title="Nothing to draw yet" action={{ href: "/clouds", label: "Register a cloud" }}>
          <p>Datacenters, clouds, hosts and the VPCs that span them appear here, with live host status.</p>
        </EmptyState>
      </>
    );
  }
  return (
    <>
      <PageHeader
        title="Topology"
        lead={
          <>
            Datacenters, the clouds in them, their hosts and instances (live status; an instance&apos;s border is its
            VPC&apos;s colour) and the VPCs that span them. Change things under <Link href="/clouds">Clouds</Link> and{" "}
            <Link href="/vpcs">VPCs</Link>, or draw a VPC here.
          </>
        }
        actions={
          drawing.active ? (
            <button onClick={drawing.stop}>Stop drawing</button>
          ) : (
            <button className="primary" onClick={() => (setCreated(null), drawing.start())}>
              Draw a VPC
            </button>
          )
        }
      />
      {created && (
        <div className="alert ok" role="status">
          VPC {created} created across the clouds you drew. Launch into it under{" "}
          <Link href="/instances">Instances</Link>.
        </div>
      )}
      {drawing.active && (
        <DrawVpcPanel
          clouds={drawing.selected.flatMap((id) => clouds.data.filter((c) => c.id === id))}
          vpcs={vpcs.data}
          onClear={drawing.clear}
          onDone={(name) => {
            drawing.stop();
            setCreated(name);
          }}
        />
      )}
      <div className="card" style={{ overflowX: "auto" }}>
        <TopologyCanvas
          layout={layout(clouds.data, hosts.data, instances.data ?? [])}
          vpcs={vpcs.data}
          subnets={subnets.flatMap((q) => q.data ?? [])}
          drawing={drawing}
        />
      </div>
    </>
  );
}
