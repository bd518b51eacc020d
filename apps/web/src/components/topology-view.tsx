"use client";

import { useMutation, useQueries, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { DrawVpcPanel } from "./draw-vpc.tsx";
import { useTRPC } from "../trpc/client.tsx";
import { useLiveUpdates } from "./live.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy/policy-change.tsx";
import { TopologyCanvas, useDrawing } from "./topology/canvas.tsx";
import { buildGraph } from "./topology/graph.ts";
import { CloudLinksList } from "./cloud-links.tsx";
import { PlugForm } from "./topology/plug-form.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { SelectField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";

export function TopologyView() {
  const trpc = useTRPC();
  const drawing = useDrawing();
  const [created, setCreated] = useState<string | null>(null);
  const [policyVpc, setPolicyVpc] = useState("");
  // clouds and hosts (status, gateways, instance counts) in one light query; a host lists its
  // instances itself when the canvas is zoomed in on it (topology/nodes.tsx)
  const topology = useQuery(trpc.topology.get.queryOptions(undefined, { refetchInterval: 5_000 }));
  const clouds = topology.data?.clouds;
  const links = useQuery(trpc.cloud.links.queryOptions(undefined, { refetchInterval: 5_000 }));
  const vpcs = useQuery(trpc.vpc.list.queryOptions());
  useLiveUpdates();
  const subnets = useQueries({ queries: (vpcs.data ?? []).map((v) => trpc.subnet.list.queryOptions({ vpcId: v.id })) });
  const vpcId = policyVpc || vpcs.data?.[0]?.id || "";
  const matrix = useQuery(trpc.policy.matrix.queryOptions({ vpcId: vpcId }, { enabled: vpcId !== "" }));
  const plug = useMutation(trpc.policy.plug.mutationOptions());
  const unplug = useMutation(trpc.policy.unplug.mutationOptions());
  const flow = usePolicyChange();
  const allSubnets = subnets.flatMap((q) => q.data ?? []);
  const subnetKey = allSubnets.map((s) => s.id).join();
  const graph = useMemo(
    () =>
      topology.data
        ? buildGraph({
            clouds: topology.data.clouds,
            hosts: topology.data.hosts,
            vpcs: vpcs.data ?? [],
            subnets: allSubnets,
            matrix: matrix.data ?? null,
            selectedClouds: drawing.selected,
            ...(links.data ? { links: links.data } : {}),
          })
        : null,
    // subnets by their ids: useQueries answers a new array each render
    [topology.data, vpcs.data, subnetKey, matrix.data, drawing.selected, links.data],
  );
  if (!clouds || !vpcs.data || !graph) return <p className="muted">Loading…</p>;
  if (clouds.length === 0) {
    return (
      <>
        <PageHeader title="Topology" />
        <EmptyState title="Nothing to draw yet" action={{ href: "/clouds", label: "Register a cloud" }}>
          <p>Datacenters, clouds, hosts and the VPCs that span them appear here, with live host status.</p>
        </EmptyState>
      </>
    );
  }
  const groupName = (id: string) => matrix.data?.groups.find((g) => g.id === id)?.name ?? id;
  const change = (kind: "plug" | "unplug", srcGroupId: string, dstGroupId: string) => {
    const input = { srcGroupId, dstGroupId };
    const title = `${kind === "plug" ? "Plug" : "Unplug"} ${groupName(srcGroupId)} → ${groupName(dstGroupId)}`;
    flow.start(title, ({ preview }) => (kind === "plug" ? plug : unplug).mutateAsync({ ...input, preview }));
  };
  return (
    <>
      <PageHeader
        title="Topology"
        lead={
          <>
            Datacenters, their clouds, hosts (live status) and instances (edge colour: their VPC), the links between
            clouds and the VPCs that span them. Drag to pan, scroll to zoom; every name opens its page. Draw a link
            between two policy groups to plug them, activate one to unplug it — previewed as on{" "}
            <Link href="/policies">Policies</Link>.
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
      {vpcs.data.length > 0 && (
        <div className="card row" role="group" aria-label="Policy on the canvas">
          <SelectField
            label="Policy groups of VPC"
            value={vpcId}
            onChange={setPolicyVpc}
            options={vpcs.data.map((v) => ({ value: v.id, label: v.name }))}
          />
          {matrix.data && <PlugForm matrix={matrix.data} busy={flow.busy} onChange={(k, s, d) => change(k, s, d)} />}
        </div>
      )}
      <PolicyChangePanel flow={flow} testId="topology-change" />
      <TopologyCanvas
        nodes={graph.nodes}
        edges={graph.edges}
        drawing={drawing}
        onPlug={(s, d) => change("plug", s, d)}
        onUnplug={(s, d) => change("unplug", s, d)}
      />
      <CloudLinksList links={links.data ?? []} />
      {/* under the canvas: above it, its growing list of clouds would move the canvas under a drag */}
      {drawing.active && (
        <DrawVpcPanel
          clouds={drawing.selected.flatMap((id) => clouds.filter((c) => c.id === id))}
          vpcs={vpcs.data}
          onClear={drawing.clear}
          onDone={(name) => {
            drawing.stop();
            setCreated(name);
          }}
        />
      )}
    </>
  );
}
