"use client";

import type { CloudDto, VpcDto } from "@nvi/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { formText } from "../lib/form.ts";
import { errorMessage, useTRPC } from "../trpc/client.tsx";
import { EmptyState } from "./empty-state.tsx";
import { VpcMap } from "./vpc-map.tsx";

function CreateVpc({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.vpc.create.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.vpc.list.queryKey() });
        onDone();
      },
    }),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    create.mutate({ name: formText(f, "name"), cidr: formText(f, "cidr"), allowOverlap: f.get("allowOverlap") === "on" });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Create VPC">
      <h2 style={{ marginTop: 0 }}>Create a VPC</h2>
      <div className="row">
        <label style={{ flex: 1 }}>
          Name
          <input name="name" required maxLength={64} placeholder="prod" />
        </label>
        <label>
          CIDR
          <input name="cidr" required placeholder="10.0.0.0/16" className="mono" />
        </label>
        <label className="inline">
          <input type="checkbox" name="allowOverlap" /> may overlap my other VPCs (never peered)
        </label>
      </div>
      <span className="muted">Private ranges only (10/8, 172.16/12, 192.168/16), /8 to /28. Other tenants may use the same range.</span>
      {create.error && <div className="alert" role="alert">{errorMessage(create.error)}</div>}
      <div className="row">
        <button className="primary" type="submit" disabled={create.isPending}>
          Create VPC
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function AddSubnet({ vpc, clouds }: { vpc: VpcDto; clouds: CloudDto[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const create = useMutation(
    trpc.subnet.create.mutationOptions({
      onSuccess: async () => {
        formRef.current?.reset();
        await queryClient.invalidateQueries();
      },
    }),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    create.mutate({ vpcId: vpc.id, cloudId: formText(f, "cloudId"), name: formText(f, "name"), cidr: formText(f, "cidr") });
  };
  if (clouds.length === 0) return <p className="muted">Register a cloud first to place subnets of this VPC in it.</p>;
  return (
    <form ref={formRef} className="row" onSubmit={submit} aria-label={`Add subnet to ${vpc.name}`}>
      <label>
        Subnet name
        <input name="name" required maxLength={64} placeholder="fra-a" />
      </label>
      <label>
        CIDR
        <input name="cidr" required placeholder={vpc.cidr.replace(/\/\d+$/, "/24")} className="mono" />
      </label>
      <label>
        In cloud
        <select name="cloudId">
          {clouds.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.region}/{c.datacenter})
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={create.isPending}>
        Add subnet
      </button>
      {create.error && <div className="alert" role="alert">{errorMessage(create.error)}</div>}
    </form>
  );
}

function VpcCard({ vpc, clouds }: { vpc: VpcDto; clouds: CloudDto[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const subnets = useQuery(trpc.subnet.list.queryOptions({ vpcId: vpc.id }));
  const removeVpc = useMutation(trpc.vpc.delete.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  const removeSubnet = useMutation(trpc.subnet.delete.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  const cloudName = (id: string) => clouds.find((c) => c.id === id)?.name ?? id;
  const error = removeVpc.error ?? removeSubnet.error;
  return (
    <section className="card" data-testid={`vpc-${vpc.name}`}>
      <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <div>
          <h2 style={{ margin: 0 }}>
            {vpc.name} <span className="mono muted">{vpc.cidr}</span>
          </h2>
          {vpc.allowOverlap && <span className="badge warn">may overlap, never peered</span>}
        </div>
        <button className="danger" onClick={() => window.confirm(`Delete VPC ${vpc.name} and its subnets?`) && removeVpc.mutate({ vpcId: vpc.id })}>
          Delete VPC
        </button>
      </div>
      {error && <div className="alert" role="alert">{errorMessage(error)}</div>}
      {subnets.data && subnets.data.length > 0 && (
        <>
          <VpcMap vpc={vpc} subnets={subnets.data} clouds={clouds} />
          <div className="table-wrap" style={{ margin: "12px 0" }}>
            <table>
              <thead>
                <tr>
                  <th>Subnet</th>
                  <th>CIDR</th>
                  <th>Gateway</th>
                  <th>Cloud</th>
                  <th>Addresses in use</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {subnets.data.map((s) => (
                  <tr key={s.id} data-testid={`subnet-${s.name}`}>
                    <td>{s.name}</td>
                    <td className="mono">{s.cidr}</td>
                    <td className="mono">{s.gateway}</td>
                    <td>{cloudName(s.cloudId)}</td>
                    <td data-testid="in-use">{s.addressesInUse}</td>
                    <td>
                      <button className="danger" onClick={() => removeSubnet.mutate({ subnetId: s.id })}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <AddSubnet vpc={vpc} clouds={clouds} />
    </section>
  );
}

export function VpcsView() {
  const trpc = useTRPC();
  const vpcs = useQuery(trpc.vpc.list.queryOptions());
  const clouds = useQuery(trpc.cloud.list.queryOptions());
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <div>
          <h1>VPCs</h1>
          <p className="lead">Private networks that span several clouds, with no encapsulation and MTU 1500 end to end.</p>
        </div>
        {!creating && (
          <button className="primary" onClick={() => setCreating(true)}>
            Create VPC
          </button>
        )}
      </div>
      {creating && <CreateVpc onDone={() => setCreating(false)} />}
      {vpcs.error && <div className="alert">{errorMessage(vpcs.error)}</div>}
      {vpcs.data?.length === 0 && !creating && (
        <EmptyState title="No VPCs yet" {...(clouds.data?.length === 0 ? { action: { href: "/clouds", label: "Start with a cloud" } } : {})}>
          <p>Create a VPC with a private range, then add subnets in the clouds it should span.</p>
        </EmptyState>
      )}
      {vpcs.data?.map((v) => <VpcCard key={v.id} vpc={v} clouds={clouds.data ?? []} />)}
    </>
  );
}
