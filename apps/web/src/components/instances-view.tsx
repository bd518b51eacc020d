"use client";

import { INSTANCE_NAME_PATTERN, type InstanceDto, type SubnetDto, type VpcDto } from "@nvi/contracts";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formText } from "../lib/form.ts";
import { containerLaunchInput } from "../lib/container-launch.ts";
import { imageChoices, imagePlaceholder } from "../lib/launch-images.ts";
import { parseLabels } from "../lib/labels.ts";
import { useTRPC } from "../trpc/client.tsx";
import { ContainerLaunchFields } from "./container-launch-fields.tsx";
import { InstancesTable } from "./instances-table.tsx";
import { useLiveUpdates } from "./live.tsx";
import { ReachabilityCheck } from "./reachability-check.tsx";
import { useDisclosure } from "./ui/disclosure.ts";
import { EmptyState } from "./ui/empty-state.tsx";
import { Field, FormCard, InputField, SelectField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { FormProblem, problem, useFormMutation } from "./ui/use-form-mutation.ts";
import { readVmGuest, VmGuestFields } from "./vm-guest-fields.tsx";

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
  const [hostId, setHostId] = useState("");
  const [chosenSubnet, setSubnetId] = useState("");
  const subnetId = chosenSubnet || (subnets[0]?.subnet.id ?? "");
  const cloudId = subnets.find((s) => s.subnet.id === subnetId)?.subnet.cloudId ?? null;
  const images = imageChoices(hosts.data ?? [], { runtime, hostId, cloudId });
  const form = useFormMutation(
    trpc.instance.launch.mutationOptions(),
    (f) => {
      const optional = (k: string) => formText(f, k) || undefined;
      const labels = parseLabels(formText(f, "labelsText"));
      if (!labels.ok) return problem(labels.error);
      const container = runtime === "docker" ? containerLaunchInput(f) : ({ ok: true, value: {} } as const);
      if (!container.ok) return problem(container.error);
      const guest = runtime === "qemu" ? readVmGuest(f) : {};
      if (guest instanceof FormProblem) return guest;
      return {
        name: formText(f, "name"),
        subnetId: formText(f, "subnetId"),
        hostId: optional("hostId"),
        runtime,
        image: optional("image"),
        ...container.value,
        cpus: Number(formText(f, "cpus") || 1),
        memoryMiB: Number(formText(f, "memoryMiB") || 256),
        address: optional("address"),
        labels: labels.labels,
        ...guest,
      };
    },
    { onDone },
  );
  if (subnets.length === 0)
    return <p className="muted">Add a subnet to a VPC first: instances are launched into subnets.</p>;
  return (
    <FormCard
      title="Launch an instance"
      label="Launch instance"
      form={form}
      submit="Launch"
      onCancel={onDone}
      focusOnOpen
    >
      <div className="row">
        <Field label="Name" grow>
          <input
            name="name"
            required
            maxLength={40}
            placeholder="web-1"
            pattern={INSTANCE_NAME_PATTERN}
            title="lower-case letters, digits and -"
          />
        </Field>
        <SelectField
          label="Subnet"
          name="subnetId"
          value={subnetId}
          onChange={setSubnetId}
          options={subnets.map(({ vpc, subnet }) => ({
            value: subnet.id,
            label: `${vpc.name} / ${subnet.name} (${subnet.cidr})`,
          }))}
        />
        <SelectField label="Runtime" name="runtime" value={runtime} onChange={setRuntime} options={RUNTIMES} />
        <SelectField<string>
          label="Host"
          name="hostId"
          value={hostId}
          onChange={setHostId}
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
            <input name="image" required list="launch-images" placeholder={imagePlaceholder(runtime, images)} />
            <datalist id="launch-images" data-testid="launch-images">
              {images.map((i) => (
                <option key={i} value={i} />
              ))}
            </datalist>
          </Field>
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
      {runtime === "docker" && <ContainerLaunchFields />}
      {runtime === "qemu" && <VmGuestFields />}
    </FormCard>
  );
}

export function InstancesView() {
  const trpc = useTRPC();
  useLiveUpdates();
  const vpcs = useQuery(trpc.vpc.list.queryOptions());
  const { open: launching, show, hide, opener } = useDisclosure();
  const noVpc = (vpcs.data?.length ?? 0) === 0;
  return (
    <>
      <PageHeader
        title="Instances"
        lead="Containers, VMs and lightweight namespaces launched into your VPCs. Status follows the operations live."
        actions={
          !launching &&
          !noVpc && (
            <button className="primary" ref={opener} onClick={show}>
              Launch instance
            </button>
          )
        }
      />
      {launching && <LaunchForm vpcs={vpcs.data ?? []} onDone={hide} />}
      <InstancesTable
        vpcs={vpcs.data ?? []}
        empty={
          !launching && (
            <EmptyState title="No instances yet" action={noVpc ? { href: "/vpcs", label: "Go to VPCs" } : undefined}>
              <p>
                Instances are launched into a VPC subnet on a host of one of your clouds
                {noVpc ? ". Create a VPC first." : ": use Launch instance."}
              </p>
            </EmptyState>
          )
        }
      >
        {(rows) => (
          <>
            {rows.length > 0 && <ReachabilityCheck instances={rows} />}
            {rows.length > 1 && (
              <p className="muted">
                Why can (or can&apos;t) one reach another? <Link href="/policies#explain">Ask the policy</Link>: the
                rule or deny entry that decides it, beside this live probe.
              </p>
            )}
          </>
        )}
      </InstancesTable>
    </>
  );
}
