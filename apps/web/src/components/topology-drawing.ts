import { useRef, useState, type PointerEvent } from "react";
import { COL_W, normal, type Box } from "./topology-layout.ts";

/**
 * Drawing a VPC: in draw mode a drag across the canvas selects every cloud its box touches (a
 * click toggles one cloud); the selection becomes the subnets of the new VPC.
 */
export function useDrawing() {
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

export type Drawing = ReturnType<typeof useDrawing>;
