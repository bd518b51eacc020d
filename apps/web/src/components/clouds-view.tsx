"use client";

import {
  CLOUD_KINDS,
  installCommand,
  isLoopbackUrl,
  type CloudDto,
  type CloudInterconnect,
  type CloudKind,
} from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { CloudGateways } from "./cloud-gateways.tsx";
import { CloudRegistry } from "./cloud-registry.tsx";
import { useState } from "react";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { HostsTable } from "./hosts-table.tsx";
import { JoinTokensList } from "./join-tokens-list.tsx";
import { Badge } from "./ui/badge.tsx";
import { ConfirmButton } from "./ui/confirm-button.tsx";
import { CopyBlock } from "./ui/copy-block.tsx";
import { useDisclosure } from "./ui/disclosure.ts";
import { EmptyState } from "./ui/empty-state.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { FormCard, InputField, SelectField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { useAction, useFormMutation } from "./ui/use-form-mutation.ts";

const KIND_LABEL: Record<CloudKind, string> = { docker: "Docker host", vm: "VM host", baremetal: "Bare metal" };

function RegisterCloud({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const form = useFormMutation(
    trpc.cloud.create.mutationOptions(),
    (f) => ({
      name: formText(f, "name"),
      kind: formText(f, "kind") as CloudKind,
      region: formText(f, "region"),
      datacenter: formText(f, "datacenter"),
      interconnect: formText(f, "interconnect") as CloudInterconnect,
    }),
    { refresh: trpc.cloud.list.queryKey(), onDone },
  );
  return (
    <FormCard
      title="Register a cloud"
      label="Register cloud"
      form={form}
      submit="Register"
      onCancel={onDone}
      focusOnOpen
    >
      <div className="row">
        <InputField label="Name" grow name="name" required maxLength={64} placeholder="fra-docker" />
        <SelectField
          label="Kind"
          name="kind"
          defaultValue="docker"
          options={CLOUD_KINDS.map((k) => ({ value: k, label: KIND_LABEL[k] }))}
        />
        <InputField label="Region" name="region" required maxLength={64} placeholder="eu-central" />
        <InputField label="Datacenter" name="datacenter" required maxLength={64} placeholder="fra1" />
        <SelectField
          label="Reaches other clouds"
          name="interconnect"
          defaultValue="routed"
          options={[
            { value: "routed", label: "on the console's routed fabric" },
            { value: "gateway", label: "across the internet, through gateway hosts" },
          ]}
        />
      </div>
    </FormCard>
  );
}

function AddHost({ cloud, publicUrl, hostLimit }: { cloud: CloudDto; publicUrl: string; hostLimit: number }) {
  const trpc = useTRPC();
  const [reusable, setReusable] = useState(false);
  const create = useAction(trpc.joinToken.create.mutationOptions(), { refresh: trpc.joinToken.list.queryKey() });
  const join = create.data?.joinString;
  return (
    <div>
      <div className="row">
        <button
          onClick={() =>
            create.mutate({ cloudId: cloud.id, reusable, usageLimit: reusable ? 50 : null, expiresInHours: 24 })
          }
          disabled={create.isPending}
        >
          Add host
        </button>
        <label className="inline">
          <input type="checkbox" checked={reusable} onChange={(e) => setReusable(e.target.checked)} /> reusable (up to
          50 hosts)
        </label>
      </div>
      <ErrorAlert error={create.error} />
      {join && (
        <div className="notice" style={{ marginTop: 8 }}>
          On the server (Debian 12 or Ubuntu, amd64), as root, run this one line. It installs the agent package with
          Open vSwitch, writes the join string and the controller to <code>/etc/nvi/agent.env</code>, starts the agent,
          waits until the host is enrolled and prints which ports to open. The join string is shown once and expires in
          24 h.
          <CopyBlock text={installCommand(publicUrl, join)} testId="join-command" />
          {isLoopbackUrl(publicUrl) && (
            <div className="alert" role="alert" data-testid="public-url-loopback">
              This console&apos;s PUBLIC_URL is {publicUrl}, a loopback address: another machine running this line would
              dial itself. Start the console with <code>PUBLIC_URL=https://&lt;its public name&gt;</code>.
            </div>
          )}
          <p className="muted">
            The console assigns the host&apos;s instance block (a free /24 of its pool; the script prints it, and the
            underlay must route it to the host). Append <code>--instance-block CIDR</code> to give one of your own,{" "}
            <code>--ca FILE</code> when the console&apos;s certificate comes from a private CA. An organization may
            enroll up to {hostLimit} hosts on this console: past that, the script stops and says so (
            <code>HOST_QUOTA_REACHED</code>; remove a host first).
          </p>
          <p className="muted" style={{ marginBottom: 0 }}>
            No server at hand? <code>scripts/up.sh</code> runs lab hosts in two datacenters on this machine; enroll one
            with
          </p>
          <pre data-testid="local-join-command">{`pnpm --filter @nvi/dataplane local-hosts join --dc 1 '${join}'`}</pre>
        </div>
      )}
    </div>
  );
}

function CloudCard({ cloud, publicUrl, hostLimit }: { cloud: CloudDto; publicUrl: string; hostLimit: number }) {
  const trpc = useTRPC();
  const remove = useAction(trpc.cloud.delete.mutationOptions(), { refresh: trpc.cloud.list.queryKey() });
  return (
    <section className="card" id={cloud.id} data-testid={`cloud-${cloud.name}`}>
      <PageHeader
        level={2}
        title={cloud.name}
        lead={
          <>
            <Badge>{KIND_LABEL[cloud.kind]}</Badge>{" "}
            {cloud.interconnect === "gateway" && <Badge>joined through gateways</Badge>}{" "}
            <span className="muted">
              {cloud.region} / {cloud.datacenter}
            </span>
          </>
        }
        actions={
          <ConfirmButton
            disabled={remove.isPending}
            confirm={`Delete cloud ${cloud.name}?`}
            onConfirm={() => remove.mutate({ cloudId: cloud.id })}
          >
            Delete cloud
          </ConfirmButton>
        }
      />
      <ErrorAlert error={remove.error} />
      <HostsTable cloudId={cloud.id} publicUrl={publicUrl} />
      <CloudGateways cloud={cloud} />
      <CloudRegistry cloud={cloud} />
      <AddHost cloud={cloud} publicUrl={publicUrl} hostLimit={hostLimit} />
      <JoinTokensList cloudId={cloud.id} />
    </section>
  );
}

/** `publicUrl`: the console's PUBLIC_URL, what hosts reach it by (the install line names it); `hostLimit`: NVI_ORG_HOST_LIMIT. */
export function CloudsView({ publicUrl, hostLimit }: { publicUrl: string; hostLimit: number }) {
  const trpc = useTRPC();
  const clouds = useQuery(trpc.cloud.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const { open: registering, show, hide, opener } = useDisclosure();
  return (
    <>
      <PageHeader
        title="Clouds"
        lead="Docker hosts, VM hosts and bare-metal servers, each cloud in its own region and datacenter."
        actions={
          !registering && (
            <button className="primary" ref={opener} onClick={show}>
              Register cloud
            </button>
          )
        }
      />
      {registering && <RegisterCloud onDone={hide} />}
      <ErrorAlert error={clouds.error} />
      {clouds.data?.length === 0 && !registering && (
        <EmptyState title="No clouds registered yet">
          <p>
            A cloud is a group of hosts you run in one datacenter. Register one, then add hosts: each runs the NVI
            agent, which dials out to this console with a join token, so hosts behind NAT work too.
          </p>
        </EmptyState>
      )}
      {clouds.data?.map((c) => (
        <CloudCard key={c.id} cloud={c} publicUrl={publicUrl} hostLimit={hostLimit} />
      ))}
    </>
  );
}
