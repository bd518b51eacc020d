"use client";

import { useEffect, useState } from "react";

/** `value`, once it has stopped changing for `ms` (a search box asks the server once per pause). */
export function useDebounced<T>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** The pages of an infinite query as one list of rows, with the total of the first page. */
export function rowsOf<T>(data: { pages: { items: T[]; total: number }[] } | undefined): { rows: T[]; total: number } {
  return { rows: data?.pages.flatMap((p) => p.items) ?? [], total: data?.pages[0]?.total ?? 0 };
}

/**
 * Under a paged table: how many rows are shown of how many match, and "Load more" while the
 * server has another page (`aria-live`, so a screen reader hears the count change).
 */
export function PageFooter({
  shown,
  total,
  noun,
  more,
}: {
  shown: number;
  total: number;
  noun: string;
  more: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  if (total === 0) return null;
  return (
    <p className="page-footer">
      <span aria-live="polite" data-testid="page-count">
        Showing {shown.toLocaleString("en")} of {total.toLocaleString("en")} {noun}
      </span>
      {more.hasNextPage && (
        <button type="button" onClick={() => void more.fetchNextPage()} disabled={more.isFetchingNextPage}>
          {more.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </p>
  );
}
