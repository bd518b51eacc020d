"use client";

import { CLOUD_KINDS, type CloudDto, type CloudKind } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { HostsTable } from "./hosts-table.tsx";
import { JoinTokensList } from "./join-tokens-list.tsx";
import { Badge } from "./ui/badge.tsx";
import { ConfirmButton } from "./ui/confirm-button.tsx";
import { CopyBlock } from "./ui/copy-block.tsx";
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
    }),
    { refresh: trpc.cloud.list.queryKey(), onDone },
  );
  return (
    <FormCard title="Register a cloud" label="Register cloud" form={form} submit="Register" onCancel={onDone}>
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
      </div>
    </FormCard>
  );
}

function AddHost({ cloud }: { cloud: CloudDto }) {
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
          On the host (Debian 12, as root, in a checkout of this project after <code>bash scripts/up.sh</code> or{" "}
          <code>pnpm install</code>), run the agent with this join string. It is shown once and expires in 24 h.
          <CopyBlock text={`NVI_JOIN='${join}' pnpm --filter @nvi/agent start`} testId="join-command" />
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

function CloudCard({ cloud }: { cloud: CloudDto }) {
  const trpc = useTRPC();
  const remove = useAction(trpc.cloud.delete.mutationOptions(), { refresh: trpc.cloud.list.queryKey() });
  return (
    <section className="card" data-testid={`cloud-${cloud.name}`}>
      <PageHeader
        level={2}
        title={cloud.name}
        lead={
          <>
            <Badge>{KIND_LABEL[cloud.kind]}</Badge>{" "}
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
      <HostsTable cloudId={cloud.id} />
      <AddHost cloud={cloud} />
      <JoinTokensList cloudId={cloud.id} />
    </section>
  );
}

export function CloudsView() {
  const trpc = useTRPC();
  const clouds = useQuery(trpc.cloud.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const [registering, setRegistering] = useState(false);
  return (
    <>
      <PageHeader
        title="Clouds"
        lead="Docker hosts, VM hosts and bare-metal servers, each cloud in its own region and datacenter."
        actions={
          !registering && (
            <button className="primary" onClick={() => setRegistering(true)}>
              Register cloud
            </button>
          )
        }
      />
      {registering && <RegisterCloud onDone={() => setRegistering(false)} />}
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
        <CloudCard key={c.id} cloud={c} />
      ))}
    </>
  );
}
