"use client";

import {
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  SelectionMode,
  useReactFlow,
  type Edge,
  type Node,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useRef, useState } from "react";
import { EDGE_TYPES } from "./cloud-link-edge.tsx";
import type { TopoNode } from "./graph.ts";
import { NODE_TYPES } from "./nodes.tsx";

/** The clouds a node stands for while drawing: a cloud itself, or the cloud a host is in. */
const cloudOf = (n: Node): string | null =>
  n.type === "cloud" ? n.id : n.type === "host" ? (n.parentId ?? null) : null;

/**
 * Drawing a VPC: in draw mode a drag on the canvas selects every cloud its box touches (React
 * Flow's selection box, partial overlap counts) and a click toggles one; the selection becomes
 * the subnets of the new VPC.
 */
export function useDrawing() {
  const [active, setActive] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const add = useCallback(
    (ids: string[]) => setSelected((s) => [...s, ...ids.filter((id, k) => !s.includes(id) && ids.indexOf(id) === k)]),
    [],
  );
  return {
    active,
    selected,
    start: () => setActive(true),
    stop: () => (setActive(false), setSelected([])),
    clear: () => setSelected([]),
    add,
    toggle: (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id])),
  };
}
export type Drawing = ReturnType<typeof useDrawing>;

const MINIMAP_COLOUR: Record<string, string> = {
  cloud: "#dfe3ea",
  host: "#8aa4d6",
  vpc: "#b4399e",
  group: "#1f8a7a",
  fabric: "#5b6472",
};

/**
 * The topology on a React Flow canvas: pan (drag the background), zoom (wheel, pinch or the
 * controls), fit, a minimap; nodes are links to their pages. The controls and the minimap sit in a
 * rail beside the flow, not over it: floating on the canvas they covered whatever node was zoomed
 * under them (a click on an instance there landed on the minimap). Dragging from one group's handle to
 * another's asks to plug the pair, activating a plug edge asks to unplug it (both previewed by the
 * caller); in draw mode a drag selects clouds instead of panning.
 */
function Canvas({
  nodes,
  edges,
  drawing,
  onPlug,
  onUnplug,
}: {
  nodes: TopoNode[];
  edges: Edge[];
  drawing: Drawing;
  onPlug: (srcGroupId: string, dstGroupId: string) => void;
  onUnplug: (srcGroupId: string, dstGroupId: string) => void;
}) {
  const { active, add } = drawing;
  // React Flow keeps what it changes (selection) in this copy; new data from the server replaces it
  const [shown, setShown] = useState<Node[]>(nodes);
  useEffect(() => setShown(nodes), [nodes]);
  const onNodesChange = useCallback((changes: NodeChange[]) => setShown((ns) => applyNodeChanges(changes, ns)), []);
  // the drawn box, from where the pointer went down to where it came up, in the flow's coordinates:
  // every cloud it touches is selected (React Flow's own box only shows it). The start is taken in
  // flow coordinates when the pointer goes down: a drag near the canvas's edge pans it, and React
  // Flow's box keeps its start on the same spot of the flow (so does this one).
  const flow = useReactFlow();
  const down = useRef<{ x: number; y: number } | null>(null);
  const onBoxEnd = (e: { clientX: number; clientY: number }) => {
    const a = down.current;
    down.current = null;
    if (!active || !a) return;
    const b = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
    const [x0, x1, y0, y1] = [Math.min(a.x, b.x), Math.max(a.x, b.x), Math.min(a.y, b.y), Math.max(a.y, b.y)];
    if (x1 - x0 < 4 && y1 - y0 < 4) return; // a click: onNodeClick toggles
    add(
      nodes
        .filter((n) => n.type === "cloud")
        .filter(
          (n) =>
            n.position.x <= x1 && x0 <= n.position.x + n.width! && n.position.y <= y1 && y0 <= n.position.y + n.height!,
        )
        .map((n) => n.id),
    );
  };
  return (
    <div className="topo-canvas" data-testid="topology-canvas" data-drawing={active}>
      <div
        className="topo-flow"
        onPointerDownCapture={(e) =>
          (down.current = active ? flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }) : null)
        }
      >
        <ReactFlow
          nodes={shown}
          edges={edges}
          nodeTypes={NODE_TYPES}
          edgeTypes={EDGE_TYPES}
          fitView
          fitViewOptions={{ minZoom: 0.45, maxZoom: 1, padding: 0.05 }}
          minZoom={0.05}
          maxZoom={2}
          onlyRenderVisibleElements
          nodesDraggable={false}
          nodesConnectable={!active}
          panOnDrag={!active}
          selectionOnDrag={active}
          selectionMode={SelectionMode.Partial}
          onNodesChange={onNodesChange}
          onSelectionEnd={onBoxEnd}
          onNodeClick={(_, n) => {
            const cloud = active ? cloudOf(n) : null;
            if (cloud) drawing.toggle(cloud);
          }}
          isValidConnection={(c) => c.source.startsWith("group-") && c.target.startsWith("group-")}
          onConnect={(c) => onPlug(c.source.slice("group-".length), c.target.slice("group-".length))}
          onEdgeClick={(_, e) => {
            const d = e.data as { srcGroupId?: string; dstGroupId?: string } | undefined;
            if (d?.srcGroupId && d.dstGroupId) onUnplug(d.srcGroupId, d.dstGroupId);
          }}
          aria-label="Topology canvas"
        >
          <Background />
        </ReactFlow>
      </div>
      {/* React Flow's own class, for its colours (its panels read them from it) */}
      <div className="topo-rail react-flow" role="group" aria-label="Canvas controls">
        <Controls showInteractive={false} fitViewOptions={{ padding: 0.05 }} orientation="horizontal" />
        <MiniMap pannable zoomable ariaLabel="Minimap" nodeColor={(n) => MINIMAP_COLOUR[n.type ?? ""] ?? "#999"} />
      </div>
    </div>
  );
}

/** The canvas inside its React Flow provider (what `useReactFlow` needs). */
export function TopologyCanvas(props: Parameters<typeof Canvas>[0]) {
  return (
    <ReactFlowProvider>
      <Canvas {...props} />
    </ReactFlowProvider>
  );
}
