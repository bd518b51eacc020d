"use client";

import type { InstanceDto, SubnetDto, VpcDto } from "@nvi/contracts";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formText } from "../lib/form.ts";
import { parseLabels } from "../lib/labels.ts";
import { useTRPC } from "../trpc/client.tsx";
import { InstanceActions } from "./instance-actions.tsx";
import { useLiveUpdates } from "./live.tsx";
import { InstanceLabels } from "./policy/instance-labels.tsx";
import { ReachabilityCheck } from "./reachability-check.tsx";
import { Badge, type Tone } from "./ui/badge.tsx";
import { DataTable, WithDetail } from "./ui/data-table.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { Field, FormCard, InputField, SelectField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { problem, useFormMutation } from "./ui/use-form-mutation.ts";

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

const RUNTIMES: { value: InstanceDto["runtime"]; label: string }[] = [
  { value: "netns", label: "network namespace" },
  { value: "docker", label: "Docker container" },
  { value: "qemu", label: "QEMU VM" },
];

/** Every subnet of every VPC, for the launch form's one select. */
function useAllSubnets(vpcs: VpcDto[]): { vpc: VpcDto; subnet: SubnetDto }[] {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const lists = useQuery({
    queryKey: ["all-subnets", vpcs.map((v) => v.id)],
    queryFn: async () => {
      const out: { vpc: VpcDto; subnet: SubnetDto }[] = [];
      for (const vpc of vpcs)
        for (const subnet of await queryClient.fetchQuery(trpc.subnet.list.queryOptions({ vpcId: vpc.id })))
          out.push({ vpc, subnet });
      return out;
    },
    enabled: vpcs.length > 0,
  });
  return lists.data ?? [];
}

function LaunchForm({ vpcs, onDone }: { vpcs: VpcDto[]; onDone: () => void }) {
  const trpc = useTRPC();
  const subnets = useAllSubnets(vpcs);
  const hosts = useQuery(trpc.host.list.queryOptions({}));
  const [runtime, setRuntime] = useState<InstanceDto["runtime"]>("netns");
  const form = useFormMutation(
    trpc.instance.launch.mutationOptions(),
    (f) => {
      const optional = (k: string) => formText(f, k) || undefined;
      const labels = parseLabels(formText(f, "labelsText"));
      if (!labels.ok) return problem(labels.error);
      return {
        name: formText(f, "name"),
        subnetId: formText(f, "subnetId"),
        hostId: optional("hostId"),
        runtime,
        image: optional("image"),
        command: optional("command"),
        cpus: Number(formText(f, "cpus") || 1),
        memoryMiB: Number(formText(f, "memoryMiB") || 256),
        address: optional("address"),
        labels: labels.labels,
      };
    },
    { onDone },
  );
  if (subnets.length === 0)
    return <p className="muted">Add a subnet to a VPC first: instances are launched into subnets.</p>;
  return (
    <FormCard title="Launch an instance" label="Launch instance" form={form} submit="Launch" onCancel={onDone}>
      <div className="row">
        <Field label="Name" grow>
          <input
            name="name"
            required
            maxLength={40}
            placeholder="web-1"
            pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?"
            title="lower-case letters, digits and -"
          />
        </Field>
        <SelectField
          label="Subnet"
          name="subnetId"
          options={subnets.map(({ vpc, subnet }) => ({
            value: subnet.id,
            label: `${vpc.name} / ${subnet.name} (${subnet.cidr})`,
          }))}
        />
        <SelectField label="Runtime" name="runtime" value={runtime} onChange={setRuntime} options={RUNTIMES} />
        <SelectField<string>
          label="Host"
          name="hostId"
          defaultValue=""
          options={(hosts.data ?? []).map((h) => ({
            value: h.id,
            label: `${h.name} (${h.status})`,
            disabled: h.status !== "online",
          }))}
        >
          <option value="">automatic placement</option>
        </SelectField>
      </div>
      <div className="row">
        {runtime !== "netns" && (
          <Field label="Image" grow>
            <input
              name="image"
              required
              placeholder={
                runtime === "docker" ? "alpine:3.19 (present on the host)" : "nvi-busybox (a guest on the host)"
              }
            />
          </Field>
        )}
        {runtime === "docker" && (
          <InputField
            label="Command"
            grow
            name="command"
            className="mono"
            placeholder="the image's own (e.g. sleep infinity)"
          />
        )}
        <InputField label="vCPUs" name="cpus" type="number" min={1} max={16} defaultValue={1} />
        <InputField label="Memory (MiB)" name="memoryMiB" type="number" min={32} max={65536} defaultValue={256} />
        <InputField label="Address" name="address" className="mono" placeholder="lowest free" />
        <InputField
          label="Labels"
          grow
          name="labelsText"
          className="mono"
          placeholder="tier=web, env=prod (policy groups select by them)"
        />
      </div>
    </FormCard>
  );
}

export function InstancesView() {
  const trpc = useTRPC();
  useLiveUpdates();
  const instances = useQuery(trpc.instance.list.queryOptions({}));
  const vpcs = useQuery(trpc.vpc.list.queryOptions());
  const [launching, setLaunching] = useState(false);
  const vpcName = (id: string) => vpcs.data?.find((v) => v.id === id)?.name ?? id;
  const noVpc = (vpcs.data?.length ?? 0) === 0;
  return (
    <>
      <PageHeader
        title="Instances"
        lead="Containers, VMs and lightweight namespaces launched into your VPCs. Status follows the operations live."
        actions={
          !launching &&
          !noVpc && (
            <button className="primary" onClick={() => setLaunching(true)}>
              Launch instance
            </button>
          )
        }
      />
      {launching && <LaunchForm vpcs={vpcs.data ?? []} onDone={() => setLaunching(false)} />}
      <ErrorAlert error={instances.error} />
      <DataTable
        rows={instances.data ?? []}
        rowKey={(i) => i.id}
        rowAttributes={(i) => ({ "data-testid": `instance-${i.name}` })}
        empty={
          instances.data &&
          !launching && (
            <EmptyState title="No instances yet" action={noVpc ? { href: "/vpcs", label: "Go to VPCs" } : undefined}>
              <p>
                Instances are launched into a VPC subnet on a host of one of your clouds
                {noVpc ? ". Create a VPC first." : ": use Launch instance."}
              </p>
            </EmptyState>
          )
        }
        columns={[
          {
            key: "name",
            header: "Instance",
            sort: (i) => i.name,
            cell: (i) => <WithDetail main={i.name} detail={i.id} mono />,
          },
          {
            key: "status",
            header: "Status",
            sort: (i) => i.status,
            cell: (i) => (
              <WithDetail
                main={<Badge tone={INSTANCE_STATUS_TONE[i.status]}>{i.status}</Badge>}
                detail={i.statusReason}
              />
            ),
          },
          {
            key: "address",
            header: "Address",
            className: "mono",
            sort: (i) => i.address.split(".").reduce((n, o) => n * 256 + Number(o), 0),
            cell: (i) => <WithDetail main={i.address} detail={i.mac} />,
          },
          { key: "vpc", header: "VPC", sort: (i) => vpcName(i.vpcId), cell: (i) => vpcName(i.vpcId) },
          {
            key: "host",
            header: "Host",
            sort: (i) => i.hostName,
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
            sort: (i) => i.runtime,
            cell: (i) => <WithDetail main={i.runtime} detail={i.image} />,
          },
          { key: "labels", header: "Labels", cell: (i) => <InstanceLabels instance={i} /> },
        ]}
        actions={(i) => <InstanceActions instance={i} />}
      />
      {instances.data && <ReachabilityCheck instances={instances.data} />}
      {(instances.data?.length ?? 0) > 1 && (
        <p className="muted">
          Why can (or can&apos;t) one reach another? <Link href="/policies#explain">Ask the policy</Link>: the rule or
          deny entry that decides it, beside this live probe.
        </p>
      )}
    </>
  );
}
