"use client";

import type { CloudDto, VpcDto } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { Badge } from "./ui/badge.tsx";
import { ConfirmButton } from "./ui/confirm-button.tsx";
import { DataTable } from "./ui/data-table.tsx";
import { useDisclosure } from "./ui/disclosure.ts";
import { EmptyState } from "./ui/empty-state.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { Field, FormCard, InputField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { useAction, useFormMutation } from "./ui/use-form-mutation.ts";
import { DscpField, readDscp, UnderlayMark } from "./underlay-mark.tsx";
import { VpcMap } from "./vpc-map.tsx";

function CreateVpc({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const form = useFormMutation(
    trpc.vpc.create.mutationOptions(),
    (f) => {
      const underlayDscp = readDscp(f);
      if (typeof underlayDscp !== "number") return underlayDscp;
      return {
        name: formText(f, "name"),
        cidr: formText(f, "cidr"),
        allowOverlap: f.get("allowOverlap") === "on",
        underlayDscp,
      };
    },
    { refresh: trpc.vpc.list.queryKey(), onDone },
  );
  return (
    <FormCard title="Create a VPC" label="Create VPC" form={form} submit="Create VPC" onCancel={onDone} focusOnOpen>
      <div className="row">
        <InputField label="Name" grow name="name" required maxLength={64} placeholder="prod" />
        <InputField label="CIDR" name="cidr" required placeholder="10.0.0.0/16" className="mono" />
        <DscpField />
        <label className="inline">
          <input type="checkbox" name="allowOverlap" /> may overlap my other VPCs (never peered)
        </label>
      </div>
      <span className="muted">
        Private ranges only (10/8, 172.16/12, 192.168/16), /8 to /28. Other tenants may use the same range.
      </span>
    </FormCard>
  );
}

function AddSubnet({ vpc, clouds }: { vpc: VpcDto; clouds: CloudDto[] }) {
  const trpc = useTRPC();
  const form = useFormMutation(
    trpc.subnet.create.mutationOptions(),
    (f) => ({ vpcId: vpc.id, cloudId: formText(f, "cloudId"), name: formText(f, "name"), cidr: formText(f, "cidr") }),
    { resetOnSuccess: true },
  );
  if (clouds.length === 0) return <p className="muted">Register a cloud first to place subnets of this VPC in it.</p>;
  return (
    <form className="row" aria-label={`Add subnet to ${vpc.name}`} {...form.formProps}>
      <InputField label="Subnet name" name="name" required maxLength={64} placeholder="fra-a" />
      <InputField label="CIDR" name="cidr" required placeholder={vpc.cidr.replace(/\/\d+$/, "/24")} className="mono" />
      <Field label="In cloud">
        <select name="cloudId">
          {clouds.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.region}/{c.datacenter})
            </option>
          ))}
        </select>
      </Field>
      <button type="submit" disabled={form.pending}>
        Add subnet
      </button>
      <ErrorAlert error={form.error} />
    </form>
  );
}

function VpcCard({ vpc, clouds }: { vpc: VpcDto; clouds: CloudDto[] }) {
  const trpc = useTRPC();
  const subnets = useQuery(trpc.subnet.list.queryOptions({ vpcId: vpc.id }));
  const removeVpc = useAction(trpc.vpc.delete.mutationOptions());
  const removeSubnet = useAction(trpc.subnet.delete.mutationOptions());
  const cloudName = (id: string) => clouds.find((c) => c.id === id)?.name ?? id;
  return (
    <section className="card" id={vpc.id} data-testid={`vpc-${vpc.name}`}>
      <PageHeader
        level={2}
        title={
          <>
            {vpc.name} <span className="mono muted">{vpc.cidr}</span>
          </>
        }
        lead={vpc.allowOverlap && <Badge tone="warn">may overlap, never peered</Badge>}
        actions={
          <ConfirmButton
            confirm={`Delete VPC ${vpc.name} and its subnets?`}
            onConfirm={() => removeVpc.mutate({ vpcId: vpc.id })}
          >
            Delete VPC
          </ConfirmButton>
        }
      />
      <ErrorAlert error={[removeVpc.error, removeSubnet.error]} />
      {subnets.data && subnets.data.length > 0 && <VpcMap vpc={vpc} subnets={subnets.data} clouds={clouds} />}
      <DataTable
        rows={subnets.data ?? []}
        rowKey={(s) => s.id}
        anchorRows
        rowAttributes={(s) => ({ "data-testid": `subnet-${s.name}` })}
        style={{ margin: "12px 0" }}
        columns={[
          { key: "name", header: "Subnet", sort: (s) => s.name, cell: (s) => s.name },
          { key: "cidr", header: "CIDR", className: "mono", cell: (s) => s.cidr },
          { key: "gateway", header: "Gateway", className: "mono", cell: (s) => s.gateway },
          { key: "cloud", header: "Cloud", sort: (s) => cloudName(s.cloudId), cell: (s) => cloudName(s.cloudId) },
          {
            key: "inUse",
            header: "Addresses in use",
            testId: "in-use",
            sort: (s) => s.addressesInUse,
            cell: (s) => s.addressesInUse,
          },
        ]}
        actions={(s) => (
          <RowActions
            label={`Actions for subnet ${s.name}`}
            actions={[{ label: "Delete", danger: true, onSelect: () => removeSubnet.mutate({ subnetId: s.id }) }]}
          />
        )}
      />
      <AddSubnet vpc={vpc} clouds={clouds} />
      <UnderlayMark vpc={vpc} />
    </section>
  );
}

export function VpcsView() {
  const trpc = useTRPC();
  const vpcs = useQuery(trpc.vpc.list.queryOptions());
  const clouds = useQuery(trpc.cloud.list.queryOptions());
  const { open: creating, show, hide, opener } = useDisclosure();
  return (
    <>
      <PageHeader
        title="VPCs"
        lead="Private networks that span several clouds, with no encapsulation and MTU 1500 end to end."
        actions={
          !creating && (
            <button className="primary" ref={opener} onClick={show}>
              Create VPC
            </button>
          )
        }
      />
      {creating && <CreateVpc onDone={hide} />}
      <ErrorAlert error={vpcs.error} />
      {vpcs.data?.length === 0 && !creating && (
        <EmptyState
          title="No VPCs yet"
          action={clouds.data?.length === 0 ? { href: "/clouds", label: "Start with a cloud" } : undefined}
        >
          <p>Create a VPC with a private range, then add subnets in the clouds it should span.</p>
        </EmptyState>
      )}
      {vpcs.data?.map((v) => (
        <VpcCard key={v.id} vpc={v} clouds={clouds.data ?? []} />
      ))}
    </>
  );
}
