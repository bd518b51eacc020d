"use client";

import { useState, type CSSProperties, type ReactNode } from "react";
import { nextSort, sortRows, type SortState, type SortValue } from "./sort.ts";

export interface Column<T> {
  /** names the column for sorting and React keys */
  key: string;
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** what the column sorts by; without it the header is not a sort button */
  sort?: (row: T) => SortValue;
  className?: string;
  style?: CSSProperties;
  /** a test id on each of the column's cells */
  testId?: string;
}

/**
 * A cell's text with a muted line under it (an id, an address's MAC, a reason); no line when
 * `detail` is empty. `mono` sets the line in monospace (ids).
 */
export function WithDetail({ main, detail, mono = false }: { main: ReactNode; detail?: ReactNode; mono?: boolean }) {
  return (
    <>
      {main}
      {detail !== undefined && detail !== null && detail !== "" && (
        <div className={mono ? "muted mono" : "muted"}>{detail}</div>
      )}
    </>
  );
}

/** Attributes a row carries (`data-testid`, `data-…`). */
type RowAttributes = Record<`data-${string}`, string | number | boolean | undefined>;

/**
 * A table of rows: sortable headers (`aria-sort`, a click cycles ascending, descending, unsorted),
 * an empty state in place of an empty table, and the row's actions in the last column (one
 * `RowActions` menu, or whatever the row renders there).
 */
export function DataTable<T>({
  rows,
  columns,
  rowKey,
  rowAttributes,
  actions,
  empty = null,
  testId,
  label,
  className,
  style,
  defaultSort = null,
}: {
  rows: readonly T[];
  columns: (Column<T> | false | null | undefined)[];
  rowKey: (row: T) => string;
  rowAttributes?: (row: T) => RowAttributes;
  actions?: (row: T) => ReactNode;
  /** shown instead of the table when there are no rows */
  empty?: ReactNode;
  testId?: string;
  label?: string;
  className?: string;
  style?: CSSProperties;
  defaultSort?: SortState | null;
}) {
  const [sort, setSort] = useState<SortState | null>(defaultSort);
  const cols = columns.filter((c): c is Column<T> => !!c);
  if (rows.length === 0) return <>{empty}</>;
  const by = sort && cols.find((c) => c.key === sort.column)?.sort;
  const shown = sort && by ? sortRows(rows, by, sort.direction) : rows;
  return (
    <div className="table-wrap" style={style}>
      <table data-testid={testId} aria-label={label} className={className}>
        <thead>
          <tr>
            {cols.map((c) => {
              const direction = sort?.column === c.key ? sort.direction : null;
              return (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={
                    c.sort
                      ? direction === "asc"
                        ? "ascending"
                        : direction === "desc"
                          ? "descending"
                          : "none"
                      : undefined
                  }
                >
                  {c.sort ? (
                    <button type="button" className="th-sort" onClick={() => setSort(nextSort(sort, c.key))}>
                      {c.header}
                      <span aria-hidden className="sort-mark">
                        {direction === "asc" ? " ▲" : direction === "desc" ? " ▼" : " ↕"}
                      </span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
            {actions && (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={rowKey(row)} {...rowAttributes?.(row)}>
              {cols.map((c) => (
                <td key={c.key} className={c.className} style={c.style} data-testid={c.testId}>
                  {c.cell(row)}
                </td>
              ))}
              {actions && <td className="actions">{actions(row)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
