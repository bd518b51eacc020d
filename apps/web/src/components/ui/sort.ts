/** What a sortable column sorts by; null and undefined always sort last. */
export type SortValue = string | number | boolean | null | undefined;
export type SortDirection = "asc" | "desc";
export interface SortState {
  column: string;
  direction: SortDirection;
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** Compares two sort values: numbers as numbers, text naturally (`web-2` before `web-10`). */
export function compareValues(a: SortValue, b: SortValue): number {
  const aNone = a === null || a === undefined || a === "";
  const bNone = b === null || b === undefined || b === "";
  if (aNone || bNone) return aNone === bNone ? 0 : aNone ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return collator.compare(String(a), String(b));
}

/**
 * The rows in a column's order (a stable sort: equal rows keep their order). Missing values stay
 * at the end in both directions; the input is not changed.
 */
export function sortRows<T>(rows: readonly T[], value: (row: T) => SortValue, direction: SortDirection): T[] {
  const sign = direction === "asc" ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: value(row) }))
    .sort((x, y) => {
      const xNone = x.v === null || x.v === undefined || x.v === "";
      const yNone = y.v === null || y.v === undefined || y.v === "";
      if (xNone || yNone) return xNone === yNone ? x.i - y.i : xNone ? 1 : -1;
      return sign * compareValues(x.v, y.v) || x.i - y.i;
    })
    .map((x) => x.row);
}

/** A click on a header: a new column sorts ascending, the same one flips, a third click clears. */
export function nextSort(current: SortState | null, column: string): SortState | null {
  if (current?.column !== column) return { column, direction: "asc" };
  return current.direction === "asc" ? { column, direction: "desc" } : null;
}
