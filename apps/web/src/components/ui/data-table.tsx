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
  /** with `serverSort`: the server's sort key for this column (the header becomes a sort button) */
  sortKey?: string;
}

/** Sorting done by the server (a paged list): the table shows and changes it, never reorders rows. */
export interface ServerSort {
  sort: SortState | null;
  onSort: (next: SortState | null) => void;
}

/** Ticked rows (by key) for bulk actions: a first column of checkboxes and one for all shown. */
export interface Selection<T> {
  selected: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  /** what a row's checkbox is called: "Select web-1" */
  name: (row: T) => string;
}

/**
 * A cell's text with a muted line under it (an id, an address's MAC, a reason); no line when
 * `detail` is empty. `mono` sets the line in monospace (ids). A space parts the two in the cell's
 * text (what is copied, read out or searched), which would otherwise run one into the other
 * ("10.79.2.20a:7f:…").
 */
export function WithDetail({ main, detail, mono = false }: { main: ReactNode; detail?: ReactNode; mono?: boolean }) {
  return (
    <>
      {main}
      {detail !== undefined && detail !== null && detail !== "" && (
        <>
          {" "}
          <div className={mono ? "muted mono" : "muted"}>{detail}</div>
        </>
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
  anchorRows = false,
  actions,
  empty = null,
  testId,
  label,
  className,
  style,
  defaultSort = null,
  serverSort,
  selection,
}: {
  rows: readonly T[];
  columns: (Column<T> | false | null | undefined)[];
  rowKey: (row: T) => string;
  rowAttributes?: (row: T) => RowAttributes;
  /** each row's key is also its `id`, so a link to `page#<id>` (audit, operations) lands on it */
  anchorRows?: boolean;
  actions?: (row: T) => ReactNode;
  /** shown instead of the table when there are no rows */
  empty?: ReactNode;
  testId?: string;
  label?: string;
  className?: string;
  style?: CSSProperties;
  defaultSort?: SortState | null;
  serverSort?: ServerSort;
  selection?: Selection<T>;
}) {
  const [localSort, setLocalSort] = useState<SortState | null>(defaultSort);
  const sort = serverSort ? serverSort.sort : localSort;
  const setSort = serverSort ? serverSort.onSort : setLocalSort;
  const cols = columns.filter((c): c is Column<T> => !!c);
  if (rows.length === 0) return <>{empty}</>;
  const by = !serverSort && sort && cols.find((c) => c.key === sort.column)?.sort;
  const shown = sort && by ? sortRows(rows, by, sort.direction) : rows;
  const sortable = (c: Column<T>) => (serverSort ? c.sortKey !== undefined : c.sort !== undefined);
  const allTicked = selection && shown.every((r) => selection.selected.has(rowKey(r)));
  return (
    <div className="table-wrap" style={style}>
      <table data-testid={testId} aria-label={label} className={className}>
        <thead>
          <tr>
            {selection && (
              <th scope="col" className="select">
                <input
                  type="checkbox"
                  aria-label="Select all shown"
                  checked={allTicked}
                  onChange={() =>
                    selection.onChange(
                      new Set(
                        allTicked
                          ? [...selection.selected].filter((k) => !shown.some((r) => rowKey(r) === k))
                          : [...selection.selected, ...shown.map(rowKey)],
                      ),
                    )
                  }
                />
              </th>
            )}
            {cols.map((c) => {
              const direction = sort?.column === c.key ? sort.direction : null;
              return (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={
                    sortable(c)
                      ? direction === "asc"
                        ? "ascending"
                        : direction === "desc"
                          ? "descending"
                          : "none"
                      : undefined
                  }
                >
                  {sortable(c) ? (
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
            <tr key={rowKey(row)} id={anchorRows ? rowKey(row) : undefined} {...rowAttributes?.(row)}>
              {selection && (
                <td className="select">
                  <input
                    type="checkbox"
                    aria-label={`Select ${selection.name(row)}`}
                    checked={selection.selected.has(rowKey(row))}
                    onChange={(e) => {
                      const next = new Set(selection.selected);
                      if (e.target.checked) next.add(rowKey(row));
                      else next.delete(rowKey(row));
                      selection.onChange(next);
                    }}
                  />
                </td>
              )}
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
