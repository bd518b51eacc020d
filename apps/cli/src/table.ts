/** Aligned plain-text columns; the header in capitals, missing values as "-". */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return "(none)";
  const cell = (v: unknown): string => {
    if (v === null || v === undefined || v === "") return "-";
    if (Array.isArray(v)) return v.length ? v.map((x) => cell(x)).join(",") : "-";
    if (typeof v === "object") return JSON.stringify(v);
    return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "?";
  };
  const body = rows.map((r) =>
    columns.map((c) =>
      cell(c.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], r)),
    ),
  );
  const head = columns.map((c) => (c.split(".").at(-1) ?? c).replace(/[A-Z]/g, (m) => `_${m}`).toUpperCase());
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [head, ...body]
    .map((r) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join("  "))
    .join("\n");
}
