"use client";

import type { CloudDto, VpcDto } from "@nvi/contracts";
import { useState } from "react";
import { useTRPC } from "../trpc/client.tsx";
import { DataTable } from "./ui/data-table.tsx";
import { FormCard, InputField } from "./ui/form-card.tsx";
import { useFormMutation } from "./ui/use-form-mutation.ts";

/** Start and end of an IPv4 CIDR as numbers, or null when it is not one. */
function range(cidr: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m) return null;
  const [a, b, c, d, p] = m.slice(1).map(Number) as [number, number, number, number, number];
  const start = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  return [start, start + 2 ** (32 - p) - 1];
}

/** The first 10.N.0.0/16 that overlaps none of the organization's VPCs. */
export function suggestVpcCidr(existing: string[]): string {
  const taken = existing.map(range).filter((r): r is [number, number] => r !== null);
  for (let n = 10; n < 255; n++) {
    const [s, e] = range(`10.${n}.0.0/16`)!;
    if (!taken.some(([ts, te]) => ts <= e && s <= te)) return `10.${n}.0.0/16`;
  }
  return "10.0.0.0/16";
}

/** The k-th /24 of a /16 VPC (1-based, .0 left free), or "" when the VPC is not a /16. */
export function suggestSubnetCidr(vpcCidr: string, k: number): string {
  const m = /^(\d+)\.(\d+)\.0\.0\/16$/.exec(vpcCidr.trim());
  return m ? `${m[1]}.${m[2]}.${k + 1}.0/24` : "";
}

const subnetName = (cloud: CloudDto): string =>
  cloud.name.replace(/[^A-Za-z0-9 ._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "subnet";

/**
 * The form that finishes a drawn VPC: the clouds chosen on the canvas become one subnet each, and
 * the VPC is created with them in one transaction (all or nothing).
 */
export function DrawVpcPanel({
  clouds,
  vpcs,
  onDone,
  onClear,
}: {
  clouds: CloudDto[];
  vpcs: VpcDto[];
  onDone: (name: string) => void;
  onClear: () => void;
}) {
  const trpc = useTRPC();
  const [name, setName] = useState(`vpc-${vpcs.length + 1}`);
  const [cidr, setCidr] = useState(() => suggestVpcCidr(vpcs.map((v) => v.cidr)));
  const [overrides, setOverrides] = useState<Record<string, string>>({});
  const subnetCidr = (cloud: CloudDto, k: number) => overrides[cloud.id] ?? suggestSubnetCidr(cidr, k);
  const form = useFormMutation(
    trpc.vpc.create.mutationOptions(),
    () => ({
      name,
      cidr,
      allowOverlap: false,
      subnets: clouds.map((c, k) => ({ cloudId: c.id, name: subnetName(c), cidr: subnetCidr(c, k) })),
    }),
    { onDone: (vpc) => onDone(vpc.name) },
  );
  if (clouds.length === 0) {
    return (
      <p className="muted" data-testid="draw-hint">
        Drag a box across the clouds the VPC should span, or click them one by one.
      </p>
    );
  }
  return (
    <FormCard
      title={`New VPC across ${clouds.length} cloud${clouds.length > 1 ? "s" : ""}`}
      label="Create the drawn VPC"
      form={form}
      submit="Create VPC"
      onCancel={onClear}
      cancelLabel="Clear selection"
    >
      <div className="row">
        <InputField
          label="Name"
          grow
          name="name"
          required
          maxLength={64}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <InputField
          label="CIDR"
          name="cidr"
          className="mono"
          required
          value={cidr}
          onChange={(e) => setCidr(e.target.value)}
        />
      </div>
      <DataTable
        rows={clouds}
        rowKey={(c) => c.id}
        rowAttributes={(c) => ({ "data-testid": `drawn-subnet-${c.name}` })}
        columns={[
          { key: "cloud", header: "Subnet in cloud", cell: (c) => c.name },
          { key: "dc", header: "Datacenter", cell: (c) => `${c.region} / ${c.datacenter}` },
          {
            key: "cidr",
            header: "CIDR",
            cell: (c) => (
              <input
                aria-label={`CIDR in ${c.name}`}
                className="mono"
                required
                value={subnetCidr(c, clouds.indexOf(c))}
                onChange={(e) => setOverrides({ ...overrides, [c.id]: e.target.value })}
              />
            ),
          },
        ]}
      />
    </FormCard>
  );
}
