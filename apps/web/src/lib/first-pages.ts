/**
 * How the server-paged tables open, shared by the client tables and the pages that fetch their first
 * page on the server (server/prefetch.tsx): the same settings through the same `pagedInput` give the
 * same input, so the browser finds that page in its cache instead of asking for it.
 */
import type { InstanceDto, VpcDto } from "@nvi/contracts";
import { PAGE_SIZE, pagedInput } from "../components/ui/paged-input.ts";
import type { SortState } from "../components/ui/sort.ts";

/** The Instances table as it opens: by name, no filter; a `?search=` link starts the search. */
export const INSTANCES_TABLE = {
  sort: { column: "name", direction: "asc" } as SortState,
  sortKeys: { name: "name", address: "address", created: "created" } as const,
  filters: {
    status: "" as InstanceDto["status"] | "",
    runtime: "" as InstanceDto["runtime"] | "",
    vpcId: "" as VpcDto["id"] | "",
  },
};

/** The Audit log as it opens: newest first (its one order, by time), no filter. */
export const AUDIT_TABLE = { sort: { column: "at", direction: "desc" } as SortState, sortKeys: {} };

export const instancesFirstPage = (search: string) =>
  pagedInput({ limit: PAGE_SIZE, ...INSTANCES_TABLE, search: search.trim() });

export const auditFirstPage = () => pagedInput({ limit: PAGE_SIZE, ...AUDIT_TABLE, search: "", filters: {} });
