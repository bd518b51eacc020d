"use client";

import type { CloudDto, HostDto, InstanceDto, SubnetDto, VpcDto } from "@nvi/contracts";
import { useQueries, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRef, useState, type PointerEvent } from "react";
import { DrawVpcPanel } from "./draw-vpc.tsx";
import { useTRPC } from "../trpc/client.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { useLiveUpdates } from "./live.tsx";

const COL_W = 260;
const GAP = 28;
const CLOUD_HEAD = 44;
const HOST_ROW = 26;
const VPC_ROW = 30;
const INST_ROW = 20;
const INSTANCE_COLOUR: Record<InstanceDto["status"], string> = {
  pending: "var(--warn)",
  starting: "var(--warn)",
  running: "var(--ok)",
  stopping: "var(--warn)",
  stopped: "var(--muted)",
  failed: "var(--danger)",
  terminating: "var(--warn)",
  terminated: "var(--muted)",
};
const STATUS_COLOUR = { online: "var(--ok)", stale: "var(--warn)", offline: "var(--danger)" } as const;
const VPC_COLOURS = ["#2f6fed", "#b4399e", "#1f8a7a", "#c26a12", "#6b4fd8", "#4c8d2b"];

interface PlacedHost {
  host: HostDto;
  /** offset of the host's row inside its cloud box */
  dy: number;
  instances: InstanceDto[];
}

interface Layout {
  datacenters: {
    key: string;
    label: string;
    x: number;
    clouds: { cloud: CloudDto; y: number; height: number; hosts: PlacedHost[] }[];
  }[];
  height: number;
}

/** Datacenters as columns, their clouds stacked inside, hosts listed in each cloud. */
function layout(clouds: CloudDto[], hosts: HostDto[], instances: InstanceDto[]): Layout {
  const byDc = new Map<string, CloudDto[]>();
  for (const c of clouds)
    byDc.set(`${c.region}/${c.datacenter}`, [...(byDc.get(`${c.region}/${c.datacenter}`) ?? []), c]);
  let height = 0;
  const datacenters = [...byDc.entries()].map(([key, cs], i) => {
    let y = 60;
    const placed = cs.map((cloud) => {
      let dy = CLOUD_HEAD;
      const mine = hosts
        .filter((h) => h.cloudId === cloud.id)
        .map((host) => {
          const on = instances.filter((i) => i.hostId === host.id);
          const placed = { host, dy, instances: on };
          dy += HOST_ROW + on.length * INST_ROW;
          return placed;
        });
      const h = Math.max(dy, CLOUD_HEAD + HOST_ROW) + 10;
      const item = { cloud, y, height: h, hosts: mine };
      y += h + 14;
      return item;
    });
    height = Math.max(height, y);
    return { key, label: key, x: GAP + i * (COL_W + GAP), clouds: placed };
  });
  return { datacenters, height };
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
const normal = (b: Box): Box => ({
  x0: Math.min(b.x0, b.x1),
  y0: Math.min(b.y0, b.y1),
  x1: Math.max(b.x0, b.x1),
  y1: Math.max(b.y0, b.y1),
});

/**
 * Drawing a VPC: in draw mode a drag across the canvas selects every cloud its box touches (a
 * click toggles one cloud); the selection becomes the subnets of the new VPC.
 */
function useDrawing() {
  const svg = useRef<SVGSVGElement>(null);
  const [active, setActive] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [drag, setDrag] = useState<Box | null>(null);
  const at = (e: PointerEvent<SVGSVGElement>): { x: number; y: number } => {
    const m = svg.current?.getScreenCTM()?.inverse();
    if (!m) return { x: 0, y: 0 };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m);
    return { x: p.x, y: p.y };
  };
  const handlers = (boxes: Map<string, { x: number; y: number; h: number }>) =>
    active
      ? {
          onPointerDown: (e: PointerEvent<SVGSVGElement>) => {
            const p = at(e);
            e.currentTarget.setPointerCapture(e.pointerId);
            setDrag({ x0: p.x, y0: p.y, x1: p.x, y1: p.y });
          },
          onPointerMove: (e: PointerEvent<SVGSVGElement>) => {
            if (!drag) return;
            const p = at(e);
            setDrag({ ...drag, x1: p.x, y1: p.y });
          },
          onPointerUp: () => {
            if (!drag) return;
            const b = normal(drag);
            const click = b.x1 - b.x0 < 6 && b.y1 - b.y0 < 6;
            const hit = [...boxes.entries()]
              .filter(([, c]) => c.x <= b.x1 && b.x0 <= c.x + COL_W && c.y <= b.y1 && b.y0 <= c.y + c.h)
              .map(([id]) => id);
            if (click)
              setSelected((s) =>
                hit[0] === undefined ? s : s.includes(hit[0]) ? s.filter((id) => id !== hit[0]) : [...s, hit[0]],
              );
            else setSelected((s) => [...s, ...hit.filter((id) => !s.includes(id))]);
            setDrag(null);
          },
        }
      : {};
  const stop = () => {
    setActive(false);
    setSelected([]);
    setDrag(null);
  };
  return {
    svg,
    active,
    start: () => setActive(true),
    stop,
    selected,
    clear: () => setSelected([]),
    drag: drag && normal(drag),
    handlers,
  };
}

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
  const { datacenters, height } = layout(clouds.data, hosts.data, instances.data ?? []);
  const vpcColour = (vpcId: string): string =>
    VPC_COLOURS[
      Math.max(
        0,
        vpcs.data.findIndex((v) => v.id === vpcId),
      ) % VPC_COLOURS.length
    ]!;
  const allSubnets: SubnetDto[] = subnets.flatMap((q) => q.data ?? []);
  const width = datacenters.length * (COL_W + GAP) + GAP;
  const vpcTop = height + 20;
  const cloudBox = new Map(
    datacenters.flatMap((dc) => dc.clouds.map((c) => [c.cloud.id, { x: dc.x, y: c.y, h: c.height }] as const)),
  );
  const totalHeight = vpcTop + Math.max(1, vpcs.data.length) * VPC_ROW + 20;
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
        <svg
          ref={drawing.svg}
          role="img"
          aria-label="Topology"
          data-drawing={drawing.active}
          viewBox={`0 0 ${width} ${totalHeight}`}
          style={{
            width: "100%",
            maxWidth: width,
            cursor: drawing.active ? "crosshair" : undefined,
            touchAction: drawing.active ? "none" : undefined,
            userSelect: "none",
          }}
          {...drawing.handlers(cloudBox)}
        >
          {datacenters.map((dc) => (
            <g key={dc.key} data-testid={`dc-${dc.key}`}>
              <rect
                x={dc.x - 8}
                y={10}
                width={COL_W + 16}
                height={height + 4}
                rx={10}
                fill="none"
                stroke="var(--border)"
                strokeDasharray="4 4"
              />
              <text x={dc.x} y={34} fill="var(--muted)" fontSize={12} fontWeight={700}>
                DATACENTER {dc.label}
              </text>
              {dc.clouds.map(({ cloud, y, height: h, hosts: mine }) => (
                <g
                  key={cloud.id}
                  data-testid={`topo-cloud-${cloud.name}`}
                  data-selected={drawing.selected.includes(cloud.id)}
                >
                  <rect
                    x={dc.x}
                    y={y}
                    width={COL_W}
                    height={h}
                    rx={8}
                    fill="var(--panel)"
                    stroke={drawing.selected.includes(cloud.id) ? "var(--accent, #2f6fed)" : "var(--border)"}
                    strokeWidth={drawing.selected.includes(cloud.id) ? 3 : 1}
                  />
                  <text x={dc.x + 12} y={y + 20} fill="var(--text)" fontSize={13} fontWeight={600}>
                    {cloud.name}
                  </text>
                  <text x={dc.x + 12} y={y + 36} fill="var(--muted)" fontSize={11}>
                    {cloud.kind} · {mine.length} host(s)
                  </text>
                  {mine.length === 0 && (
                    <text x={dc.x + 12} y={y + CLOUD_HEAD + 16} fill="var(--muted)" fontSize={11}>
                      no hosts yet
                    </text>
                  )}
                  {mine.map(({ host, dy, instances: on }) => (
                    <g key={host.id} data-testid={`topo-host-${host.name}`} data-status={host.status}>
                      <circle cx={dc.x + 20} cy={y + dy + 12} r={6} fill={STATUS_COLOUR[host.status]}>
                        <title>{host.status}</title>
                      </circle>
                      <text x={dc.x + 34} y={y + dy + 16} fill="var(--text)" fontSize={12}>
                        {host.name.length > 18 ? `${host.name.slice(0, 17)}…` : host.name}{" "}
                        {host.identity.fabricAddress ? `· ${host.identity.fabricAddress}` : ""}
                        <title>{host.name}</title>
                      </text>
                      {on.map((inst, k) => (
                        <g key={inst.id} data-testid={`topo-instance-${inst.name}`} data-status={inst.status}>
                          <rect
                            x={dc.x + 40}
                            y={y + dy + HOST_ROW + k * INST_ROW - 2}
                            width={10}
                            height={10}
                            rx={2}
                            fill={INSTANCE_COLOUR[inst.status]}
                            stroke={vpcColour(inst.vpcId)}
                            strokeWidth={2}
                          >
                            <title>{inst.status}</title>
                          </rect>
                          <text
                            x={dc.x + 56}
                            y={y + dy + HOST_ROW + k * INST_ROW + 7}
                            fill="var(--muted)"
                            fontSize={11}
                          >
                            {inst.name} · {inst.address}
                          </text>
                        </g>
                      ))}
                    </g>
                  ))}
                </g>
              ))}
            </g>
          ))}
          {vpcs.data.map((vpc: VpcDto, i) => {
            const colour = VPC_COLOURS[i % VPC_COLOURS.length]!;
            const y = vpcTop + i * VPC_ROW;
            const placed = allSubnets
              .filter((s) => s.vpcId === vpc.id)
              .flatMap((s) => {
                const box = cloudBox.get(s.cloudId);
                return box ? [{ s, box }] : [];
              });
            const xs = placed.map((p) => p.box.x + COL_W / 2);
            return (
              <g key={vpc.id} data-testid={`topo-vpc-${vpc.name}`}>
                {xs.length > 1 && (
                  <line
                    x1={Math.min(...xs)}
                    x2={Math.max(...xs)}
                    y1={y}
                    y2={y}
                    stroke={colour}
                    strokeWidth={4}
                    strokeLinecap="round"
                  />
                )}
                {placed.map(({ s, box }) => (
                  <g key={s.id}>
                    <line
                      x1={box.x + COL_W / 2}
                      x2={box.x + COL_W / 2}
                      y1={box.y + box.h}
                      y2={y}
                      stroke={colour}
                      strokeDasharray="3 3"
                    />
                    <circle cx={box.x + COL_W / 2} cy={y} r={6} fill={colour} />
                  </g>
                ))}
                <text x={GAP} y={y - 8} fill={colour} fontSize={12} fontWeight={700}>
                  {vpc.name} {vpc.cidr}{" "}
                  {placed.length ? `· ${placed.map((p) => p.s.cidr).join(", ")}` : "· no subnets yet"}
                </text>
              </g>
            );
          })}
          {drawing.drag && (
            <rect
              x={drawing.drag.x0}
              y={drawing.drag.y0}
              width={drawing.drag.x1 - drawing.drag.x0}
              height={drawing.drag.y1 - drawing.drag.y0}
              fill="rgba(47,111,237,0.08)"
              stroke="#2f6fed"
              strokeDasharray="6 4"
            />
          )}
        </svg>
      </div>
    </>
  );
}
