import type { CloudDto, SubnetDto, VpcDto } from "@nvi/contracts";

const BOX_W = 210;
const GAP = 24;
const PILL_H = 26;

/** The VPC drawn across the clouds (and datacenters) its subnets live in. */
export function VpcMap({ vpc, subnets, clouds }: { vpc: VpcDto; subnets: SubnetDto[]; clouds: CloudDto[] }) {
  const placed = clouds.filter((c) => subnets.some((s) => s.cloudId === c.id));
  const rows = Math.max(1, ...placed.map((c) => subnets.filter((s) => s.cloudId === c.id).length));
  const width = Math.max(1, placed.length) * (BOX_W + GAP) + GAP;
  const boxH = 56 + rows * (PILL_H + 8);
  const height = boxH + 56;
  return (
    <svg
      role="img"
      aria-label={`${vpc.name} spans ${placed.length} cloud(s)`}
      viewBox={`0 0 ${width} ${height}`}
      style={{ width: "100%", maxWidth: width, margin: "12px 0" }}
    >
      <rect
        x={8}
        y={8}
        width={width - 16}
        height={height - 16}
        rx={12}
        fill="color-mix(in srgb, var(--accent) 8%, transparent)"
        stroke="var(--accent)"
        strokeDasharray="6 4"
      />
      <text x={20} y={30} fill="var(--accent)" fontSize={13} fontWeight={700}>
        {vpc.name} · {vpc.cidr}
      </text>
      {placed.map((cloud, i) => {
        const x = GAP + i * (BOX_W + GAP);
        const mine = subnets.filter((s) => s.cloudId === cloud.id);
        return (
          <g key={cloud.id}>
            <rect x={x} y={42} width={BOX_W} height={boxH} rx={8} fill="var(--panel)" stroke="var(--border)" />
            <text x={x + 12} y={62} fill="var(--text)" fontSize={13} fontWeight={600}>
              {cloud.name}
            </text>
            <text x={x + 12} y={78} fill="var(--muted)" fontSize={11}>
              {cloud.kind} · {cloud.region}/{cloud.datacenter}
            </text>
            {mine.map((s, j) => (
              <g key={s.id}>
                <rect
                  x={x + 12}
                  y={90 + j * (PILL_H + 8)}
                  width={BOX_W - 24}
                  height={PILL_H}
                  rx={13}
                  fill="var(--code-bg)"
                  stroke="var(--accent)"
                />
                <text
                  x={x + 24}
                  y={107 + j * (PILL_H + 8)}
                  fill="var(--text)"
                  fontSize={12}
                  fontFamily="ui-monospace, monospace"
                >
                  {s.name} {s.cidr}
                </text>
              </g>
            ))}
          </g>
        );
      })}
    </svg>
  );
}
