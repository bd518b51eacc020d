"use client";

import { keepPreviousData } from "@tanstack/react-query";
import { useState, type ChangeEvent } from "react";
import { useDebounced } from "./paged-list.tsx";
import { nextPageParam, PAGE_SIZE, pagedInput, type Filters } from "./paged-input.ts";
import type { SortState } from "./sort.ts";

export interface PagedTableOptions<F extends Filters, S extends string> {
  /** the column the table starts sorted by (a `DataTable` column key), or null: the server's order */
  sort: SortState | null;
  /** a sortable column's key → the API's `sort` value */
  sortKeys: Record<string, S>;
  /** each filter's starting value ("" = any) */
  filters?: F;
  /** what the search box starts with (a `?search=` link) */
  search?: string;
  /** rows per page (default `PAGE_SIZE`) */
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
  const input = pagedInput({ limit: o.limit ?? PAGE_SIZE, sort, sortKeys: o.sortKeys, search: q, filters });
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
