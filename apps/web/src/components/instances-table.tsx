"use client";

import { INSTANCE_STATUSES, instanceStatusLabel, type InstanceDto, type VpcDto } from "@nvi/contracts";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useState, type ReactNode } from "react";
import { INSTANCES_TABLE } from "../lib/first-pages.ts";
import { useTRPC } from "../trpc/client.tsx";
import { BulkActions } from "./bulk-actions.tsx";
import { InstanceActions } from "./instance-actions.tsx";
import { InstanceLabels } from "./policy/instance-labels.tsx";
import { Badge, type Tone } from "./ui/badge.tsx";
import { DataTable, WithDetail } from "./ui/data-table.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { InputField, SelectField } from "./ui/form-card.tsx";
import { LocalTime } from "./ui/local-time.tsx";
import { PageFooter, rowsOf } from "./ui/paged-list.tsx";
import { usePagedTable } from "./ui/use-paged-table.ts";

export const INSTANCE_STATUS_TONE: Record<InstanceDto["status"], Tone> = {
  pending: "warn",
  starting: "warn",
  running: "ok",
  stopping: "warn",
  stopped: "muted",
  failed: "bad",
  terminating: "warn",
  terminated: "muted",
};

const RUNTIMES = ["netns", "docker", "qemu"] as const;
/**
 * The Instances table, paged by the server (`instance.page`): search, status / runtime / VPC
 * filters, sort by name, address or age, "Load more", a row menu, and ticks for bulk actions.
 * `?search=` (what a link from the topology or an operation carries) starts the search.
 */
export function InstancesTable({
  vpcs,
  empty,
  children,
}: {
  vpcs: VpcDto[];
  empty: ReactNode;
  /** under the table, with the rows shown (the reachability check) */
  children?: (rows: InstanceDto[]) => ReactNode;
}) {
  const trpc = useTRPC();
  const table = usePagedTable({ search: useSearchParams().get("search") ?? "", ...INSTANCES_TABLE });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const list = useInfiniteQuery(trpc.instance.page.infiniteQueryOptions(table.input, table.paging));
  const { rows, total } = rowsOf(list.data);
  const vpcName = (id: string) => vpcs.find((v) => v.id === id)?.name ?? id;
  const nothingAtAll = list.isSuccess && total === 0 && !table.filtered;
  return (
    <>
      {!nothingAtAll && (
        <div className="card row" role="search" aria-label="Find instances">
          <InputField label="Search" grow type="search" {...table.searchBox} placeholder="name, address or host" />
          <SelectField label="Status" {...table.filter("status")} options={INSTANCE_STATUSES}>
            <option value="">any (not terminated)</option>
          </SelectField>
          <SelectField label="Runtime" {...table.filter("runtime")} options={RUNTIMES}>
            <option value="">any</option>
          </SelectField>
          <SelectField
            label="VPC"
            {...table.filter("vpcId")}
            options={vpcs.map((v) => ({ value: v.id, label: v.name }))}
          >
            <option value="">any</option>
          </SelectField>
        </div>
      )}
      <BulkActions selected={selected} onDone={() => setSelected(new Set())} />
      <ErrorAlert error={list.error} />
      <DataTable
        rows={rows}
        rowKey={(i) => i.id}
        anchorRows
        label="Instances"
        rowAttributes={(i) => ({ "data-testid": `instance-${i.name}` })}
        serverSort={table.serverSort}
        selection={{ selected, onChange: setSelected, name: (i) => i.name }}
        empty={
          nothingAtAll ? (
            empty
          ) : list.isSuccess ? (
            <p className="muted" data-testid="instances-none-match">
              No instance matches.
            </p>
          ) : null
        }
        columns={[
          {
            key: "name",
            header: "Instance",
            sortKey: "name",
            cell: (i) => <WithDetail main={i.name} detail={i.id} mono />,
          },
          {
            key: "status",
            header: "Status",
            cell: (i) => (
              <WithDetail
                main={<Badge tone={INSTANCE_STATUS_TONE[i.status]}>{instanceStatusLabel(i)}</Badge>}
                detail={i.statusReason}
              />
            ),
          },
          {
            key: "address",
            header: "Address",
            className: "mono",
            sortKey: "address",
            cell: (i) => <WithDetail main={i.address} detail={`MAC ${i.mac}`} />,
          },
          { key: "vpc", header: "VPC", cell: (i) => vpcName(i.vpcId) },
          {
            key: "host",
            header: "Host",
            cell: (i) => (
              <>
                {i.hostName}
                {i.ofport !== null && <div className="muted">VEB port {i.ofport}</div>}
              </>
            ),
          },
          {
            key: "runtime",
            header: "Runtime",
            cell: (i) => <WithDetail main={i.runtime} detail={i.image} />,
          },
          { key: "labels", header: "Labels", cell: (i) => <InstanceLabels instance={i} /> },
          { key: "created", header: "Launched", sortKey: "created", cell: (i) => <LocalTime when={i.createdAt} /> },
        ]}
        actions={(i) => <InstanceActions instance={i} />}
      />
      <PageFooter shown={rows.length} total={total} noun="instances" more={list} />
      {children?.(rows)}
    </>
  );
}
