"use client";

import type { InstanceDto, SubnetDto, VpcDto } from "@nvi/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { formText } from "../lib/form.ts";
import { parseLabels } from "../lib/labels.ts";
import { errorMessage, useTRPC } from "../trpc/client.tsx";
import { EmptyState } from "./empty-state.tsx";
import { InstanceActions } from "./instance-actions.tsx";
import { useLiveUpdates } from "./live.tsx";
import { InstanceLabels } from "./policy/instance-labels.tsx";
import { ReachabilityCheck } from "./reachability-check.tsx";

const STATUS_CLASS: Record<InstanceDto["status"], string> = {
  pending: "warn", starting: "warn", running: "ok", stopping: "warn", stopped: "muted", failed: "bad", terminating: "warn", terminated: "muted",
};

/** Every subnet of every VPC, for the launch form's one select. */
function useAllSubnets(vpcs: VpcDto[]): { vpc: VpcDto; subnet: SubnetDto }[] {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const lists = useQuery({
    queryKey: ["all-subnets", vpcs.map((v) => v.id)],
    queryFn: async () => {
      const out: { vpc: VpcDto; subnet: SubnetDto }[] = [];
      for (const vpc of vpcs) for (const subnet of await queryClient.fetchQuery(trpc.subnet.list.queryOptions({ vpcId: vpc.id }))) out.push({ vpc, subnet });
      return out;
    },
    enabled: vpcs.length > 0,
  });
  return lists.data ?? [];
}

function LaunchForm({ vpcs, onDone }: { vpcs: VpcDto[]; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const subnets = useAllSubnets(vpcs);
  const hosts = useQuery(trpc.host.list.queryOptions({}));
  const [runtime, setRuntime] = useState("netns");
  const [labelsError, setLabelsError] = useState<string | null>(null);
  const launch = useMutation(
    trpc.instance.launch.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
        onDone();
      },
    }),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const optional = (k: string) => formText(f, k) || undefined;
    const labels = parseLabels(formText(f, "labelsText"));
    if (!labels.ok) return setLabelsError(labels.error);
    setLabelsError(null);
    launch.mutate({
      name: formText(f, "name"),
      subnetId: formText(f, "subnetId"),
      hostId: optional("hostId"),
      runtime: runtime as InstanceDto["runtime"],
      image: optional("image"),
      command: optional("command"),
      cpus: Number(formText(f, "cpus") || 1),
      memoryMiB: Number(formText(f, "memoryMiB") || 256),
      address: optional("address"),
      labels: labels.labels,
    });
  };
  if (subnets.length === 0) return <p className="muted">Add a subnet to a VPC first: instances are launched into subnets.</p>;
  return (
    <form className="card form" onSubmit={submit} aria-label="Launch instance">
      <h2 style={{ marginTop: 0 }}>Launch an instance</h2>
      <div className="row">
        <label style={{ flex: 1 }}>
          Name
          <input name="name" required maxLength={40} placeholder="web-1" pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?" title="lower-case letters, digits and -" />
        </label>
        <label>
          Subnet
          <select name="subnetId">
            {subnets.map(({ vpc, subnet }) => (
              <option key={subnet.id} value={subnet.id}>
                {vpc.name} / {subnet.name} ({subnet.cidr})
              </option>
            ))}
          </select>
        </label>
        <label>
          Runtime
          <select name="runtime" value={runtime} onChange={(e) => setRuntime(e.target.value)}>
            <option value="netns">network namespace</option>
            <option value="docker">Docker container</option>
            <option value="qemu">QEMU VM</option>
          </select>
        </label>
        <label>
          Host
          <select name="hostId" defaultValue="">
            <option value="">automatic placement</option>
            {(hosts.data ?? []).map((h) => (
              <option key={h.id} value={h.id} disabled={h.status !== "online"}>
                {h.name} ({h.status})
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="row">
        {runtime !== "netns" && (
          <label style={{ flex: 1 }}>
            Image
            <input name="image" required placeholder={runtime === "docker" ? "alpine:3.19 (present on the host)" : "nvi-busybox (a guest on the host)"} />
          </label>
        )}
        {runtime === "docker" && (
          <label style={{ flex: 1 }}>
            Command
            <input name="command" className="mono" placeholder="the image's own (e.g. sleep infinity)" />
          </label>
        )}
        <label>
          vCPUs
          <input name="cpus" type="number" min={1} max={16} defaultValue={1} />
        </label>
        <label>
          Memory (MiB)
          <input name="memoryMiB" type="number" min={32} max={65536} defaultValue={256} />
        </label>
        <label>
          Address
          <input name="address" className="mono" placeholder="lowest free" />
        </label>
        <label style={{ flex: 1 }}>
          Labels
          <input name="labelsText" className="mono" placeholder="tier=web, env=prod (policy groups select by them)" />
        </label>
      </div>
      {(labelsError ?? launch.error) && <div className="alert" role="alert">{labelsError ?? errorMessage(launch.error)}</div>}
      <div className="row">
        <button className="primary" type="submit" disabled={launch.isPending}>
          Launch
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function InstancesView() {
  const trpc = useTRPC();
  useLiveUpdates();
  const instances = useQuery(trpc.instance.list.queryOptions({}));
  const vpcs = useQuery(trpc.vpc.list.queryOptions());
  const [launching, setLaunching] = useState(false);
  const vpcName = (id: string) => vpcs.data?.find((v) => v.id === id)?.name ?? id;
  return (
    <>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <div>
          <h1>Instances</h1>
          <p className="lead">Containers, VMs and lightweight namespaces launched into your VPCs. Status follows the operations live.</p>
        </div>
        {!launching && (vpcs.data?.length ?? 0) > 0 && (
          <button className="primary" onClick={() => setLaunching(true)}>
            Launch instance
          </button>
        )}
      </div>
      {launching && <LaunchForm vpcs={vpcs.data ?? []} onDone={() => setLaunching(false)} />}
      {instances.error && <div className="alert">{errorMessage(instances.error)}</div>}
      {instances.data?.length === 0 && !launching && (
        <EmptyState title="No instances yet" {...((vpcs.data?.length ?? 0) === 0 ? { action: { href: "/vpcs", label: "Go to VPCs" } } : {})}>
          <p>Instances are launched into a VPC subnet on a host of one of your clouds{(vpcs.data?.length ?? 0) === 0 ? ". Create a VPC first." : ": use Launch instance."}</p>
        </EmptyState>
      )}
      {(instances.data?.length ?? 0) > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Instance</th>
                <th>Status</th>
                <th>Address</th>
                <th>VPC</th>
                <th>Host</th>
                <th>Runtime</th>
                <th>Labels</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {instances.data?.map((i) => (
                <tr key={i.id} data-testid={`instance-${i.name}`}>
                  <td>
                    {i.name}
                    <div className="muted mono">{i.id}</div>
                  </td>
                  <td>
                    <span className={`badge ${STATUS_CLASS[i.status]}`}>{i.status}</span>
                    {i.statusReason && <div className="muted">{i.statusReason}</div>}
                  </td>
                  <td className="mono">
                    {i.address}
                    <div className="muted">{i.mac}</div>
                  </td>
                  <td>{vpcName(i.vpcId)}</td>
                  <td>{i.hostName}{i.ofport !== null && <div className="muted">VEB port {i.ofport}</div>}</td>
                  <td>
                    {i.runtime}
                    {i.image && <div className="muted">{i.image}</div>}
                  </td>
                  <td>
                    <InstanceLabels instance={i} />
                  </td>
                  <td>
                    <Link href={`/operations?target=${i.id}`}>operations</Link>{" "}
                    <InstanceActions instance={i} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {instances.data && <ReachabilityCheck instances={instances.data} />}
      {(instances.data?.length ?? 0) > 1 && (
        <p className="muted">
          Why can (or can&apos;t) one reach another? <Link href="/policies#explain">Ask the policy</Link>: the rule or deny entry that decides it, beside this live probe.
        </p>
      )}
    </>
  );
}
