"use client";

import { keepPreviousData } from "@tanstack/react-query";
import { useState, type ChangeEvent } from "react";
import { sortParams, useDebounced } from "./paged-list.tsx";
import type { SortState } from "./sort.ts";

/** A table's filters by name; "" or undefined is "any" and is not sent. */
type Filters = Record<string, string | undefined>;
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

export interface PagedTableOptions<F extends Filters, S extends string> {
  /** the column the table starts sorted by (a `DataTable` column key), or null: the server's order */
  sort: SortState | null;
  /** a sortable column's key → the API's `sort` value */
  sortKeys: Record<string, S>;
  /** each filter's starting value ("" = any) */
  filters?: F;
  /** what the search box starts with (a `?search=` link) */
  search?: string;
  /** rows per page (default 100) */
  limit?: number;
}

/**
 * What the server-paged tables (instances, hosts, operations, audit) share: the search box (sent
 * once per pause, trimmed), the select filters (left out while "any"), the sort as the API takes
 * it, and the infinite query's input and paging options. The table calls its own procedure with
 * them (`useInfiniteQuery(trpc.x.page.infiniteQueryOptions(table.input, table.paging))`), so each
 * keeps its own types, and renders the rows with `rowsOf` and `PageFooter` (paged-list.tsx).
 */
export function usePagedTable<F extends Filters = Record<never, string>, S extends string = string>(
  o: PagedTableOptions<F, S>,
) {
  const [search, setSearch] = useState(o.search ?? "");
  const [filters, setFilters] = useState<F>(o.filters ?? ({} as F));
  const [sort, setSort] = useState<SortState | null>(o.sort);
  const q = useDebounced(search.trim());
  const input = pagedInput({ limit: o.limit ?? 100, sort, sortKeys: o.sortKeys, search: q, filters });
  return {
    /** the search box's props (an `InputField`'s `value` and `onChange`) */
    searchBox: { value: search, onChange: (e: ChangeEvent<HTMLInputElement>) => setSearch(e.target.value) },
    /** a select filter's props (a `SelectField`'s `value` and `onChange`) */
    filter: <K extends keyof F>(key: K) => ({
      value: filters[key],
      onChange: (value: F[K]) => setFilters((f) => ({ ...f, [key]: value })),
    }),
    /** replaces every filter at once (a form's submit) */
    setFilters,
    /** the `DataTable`'s `serverSort` */
    serverSort: { sort, onSort: setSort },
    sort,
    /** whether a search or a filter narrows the list (an empty result then says "none matches") */
    filtered: q !== "" || Object.values(filters).some((v) => v !== "" && v !== undefined),
    /** the procedure's input: page size, sort, search and the chosen filters */
    input,
    /** the infinite query's options: the next page's cursor; the rows shown stay while the next ones load */
    paging: { getNextPageParam: nextPageParam, placeholderData: keepPreviousData },
  };
}
