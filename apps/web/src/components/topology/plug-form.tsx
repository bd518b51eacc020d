"use client";

import type { MatrixDto } from "@nvi/contracts";
import { useState } from "react";
import { SelectField } from "../ui/form-card.tsx";

/**
 * The keyboard's way to do what a drag between two groups does on the canvas: pick from and to,
 * and preview plugging the pair (or unplugging it when it is plugged).
 */
export function PlugForm({
  matrix,
  busy,
  onChange,
}: {
  matrix: MatrixDto;
  busy: boolean;
  onChange: (kind: "plug" | "unplug", srcGroupId: string, dstGroupId: string) => void;
}) {
  const groups = matrix.groups.map((g) => ({ value: g.id, label: g.name }));
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  if (groups.length === 0) return <p className="muted">This VPC has no policy groups yet.</p>;
  const src = from || groups[0]!.value;
  const dst = to || groups[0]!.value;
  const cell = matrix.cells.find((c) => c.srcGroupId === src && c.dstGroupId === dst);
  const kind = cell && cell.state !== "unplugged" ? "unplug" : "plug";
  return (
    <>
      <SelectField label="From group" value={src} onChange={setFrom} options={groups} />
      <SelectField label="To group" value={dst} onChange={setTo} options={groups} />
      <button
        type="button"
        disabled={busy}
        onClick={() => onChange(kind, src, dst)}
        data-testid="topology-plug-preview"
      >
        Preview {kind}
      </button>
    </>
  );
}
