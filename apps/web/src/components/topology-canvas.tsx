import type { InstanceDto, SubnetDto, VpcDto } from "@nvi/contracts";
import type { Drawing } from "./topology-drawing.ts";
import { CLOUD_HEAD, COL_W, GAP, HOST_ROW, INST_ROW, VPC_ROW, type Layout } from "./topology-layout.ts";

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

/**
 * The topology drawn as SVG: datacenter columns with their clouds, hosts (live status) and
 * instances (border in their VPC's colour), each VPC as a line joining the clouds of its subnets,
 * and, while drawing, the selected clouds and the dragged box.
 */
export function TopologyCanvas({
  layout: { datacenters, height },
  vpcs,
  subnets: allSubnets,
  drawing,
}: {
  layout: Layout;
  vpcs: VpcDto[];
  subnets: SubnetDto[];
  drawing: Drawing;
}) {
  const vpcColour = (vpcId: string): string =>
    VPC_COLOURS[
      Math.max(
        0,
        vpcs.findIndex((v) => v.id === vpcId),
      ) % VPC_COLOURS.length
    ]!;
  const width = datacenters.length * (COL_W + GAP) + GAP;
  const vpcTop = height + 20;
  const cloudBox = new Map(
    datacenters.flatMap((dc) => dc.clouds.map((c) => [c.cloud.id, { x: dc.x, y: c.y, h: c.height }] as const)),
  );
  const totalHeight = vpcTop + Math.max(1, vpcs.length) * VPC_ROW + 20;
  return (
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
                      <text x={dc.x + 56} y={y + dy + HOST_ROW + k * INST_ROW + 7} fill="var(--muted)" fontSize={11}>
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
      {vpcs.map((vpc: VpcDto, i) => {
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
              {vpc.name} {vpc.cidr} {placed.length ? `· ${placed.map((p) => p.s.cidr).join(", ")}` : "· no subnets yet"}
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
  );
}
