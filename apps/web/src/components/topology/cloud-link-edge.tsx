"use client";

import { BaseEdge, getBezierPath, type Edge, type EdgeProps } from "@xyflow/react";
import type { CloudLinkData } from "./graph.ts";

/**
 * A link between two gateway clouds on the canvas: the line (solid when encrypted, dash-dotted blue
 * when a trusted direct link, dashed red when down or without a gateway), its label (how it crosses,
 * state, round trip, path MTU), and the reason under it, shown while the link is hovered or focused
 * (the edge's accessible name carries all of it).
 * `data-testid="cloud-link"` and `data-state` are what tests address it by.
 */
export function CloudLinkEdge(p: EdgeProps<Edge<CloudLinkData, "cloudLink">>) {
  const [path, labelX, labelY] = getBezierPath(p);
  const d = p.data;
  if (!d) return null;
  return (
    <g data-testid="cloud-link" data-state={d.state}>
      <title>{d.reason ? `${d.label}: ${d.reason}` : d.label}</title>
      <BaseEdge
        id={p.id}
        path={path}
        labelX={labelX}
        labelY={labelY}
        label={d.label}
        labelBgPadding={[6, 3]}
        labelBgBorderRadius={4}
      />
      {d.reason && (
        <text
          className="cloud-link-reason"
          x={labelX}
          y={labelY + 22}
          textAnchor="middle"
          data-testid="cloud-link-reason"
        >
          {d.reason}
        </text>
      )}
    </g>
  );
}

export const EDGE_TYPES = { cloudLink: CloudLinkEdge };
