/**
 * What a server-paged table sends, pure (no React): the client's tables (use-paged-table.ts) and the
 * pages that fetch a table's first page on the server (server/prefetch.tsx) build it the same way,
 * so the browser finds the page it would have asked for already in its cache.
 */
import type { SortState } from "./sort.ts";

/** Rows per page of every server-paged table. */
export const PAGE_SIZE = 100;

/**
 * A paged list's sort as the API takes it: the column's server key and direction, or nothing
 * (the server's default order) when the table is unsorted.
 */
export function sortParams<K extends string>(
  sort: SortState | null,
  keys: Record<string, K>,
): { sort?: K; order?: "asc" | "desc" } {
  const key = sort ? keys[sort.column] : undefined;
  return key && sort ? { sort: key, order: sort.direction } : {};
}

/** A table's filters by name; "" or undefined is "any" and is not sent. */
export type Filters = Record<string, string | undefined>;
/** The filters the API is sent: the ones chosen, without "any". */
type Chosen<F extends Filters> = { [K in keyof F]?: Exclude<F[K], "" | undefined> };

/**
 * A paged list's input as its procedure takes it: page size, the sort (nothing while unsorted), the
 * search if any, and only the filters that are not "any". Pure, so what a table asks is unit-tested.
 */
export function pagedInput<F extends Filters, S extends string>(o: {
  limit: number;
  sort: SortState | null;
  sortKeys: Record<string, S>;
  search: string;
  filters: F;
}) {
  const chosen = Object.fromEntries(Object.entries(o.filters).filter(([, v]) => v !== "" && v !== undefined));
  return {
    limit: o.limit,
    ...sortParams(o.sort, o.sortKeys),
    ...(o.search ? { search: o.search } : {}),
    ...(chosen as Chosen<F>),
  };
}

/** The cursor of the page after `page`, as an infinite query wants it (undefined: no more pages). */
export const nextPageParam = (page: { nextCursor: string | null }) => page.nextCursor ?? undefined;
