"use client";

import { CLOUD_KINDS, type CloudDto, type CloudKind } from "@nvi/contracts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formText } from "../lib/form.ts";
import { errorMessage, useTRPC } from "../trpc/client.tsx";
import { EmptyState } from "./empty-state.tsx";
import { HostsTable } from "./hosts-table.tsx";
import { JoinTokensList } from "./join-tokens-list.tsx";

const KIND_LABEL: Record<CloudKind, string> = { docker: "Docker host", vm: "VM host", baremetal: "Bare metal" };

function RegisterCloud({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.cloud.create.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.cloud.list.queryKey() });
        onDone();
      },
    }),
  );
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    create.mutate({ name: formText(f, "name"), kind: formText(f, "kind") as CloudKind, region: formText(f, "region"), datacenter: formText(f, "datacenter") });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Register cloud">
      <h2 style={{ marginTop: 0 }}>Register a cloud</h2>
      <div className="row">
        <label style={{ flex: 1 }}>
          Name
          <input name="name" required maxLength={64} placeholder="fra-docker" />
        </label>
        <label>
          Kind
          <select name="kind" defaultValue="docker">
            {CLOUD_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Region
          <input name="region" required maxLength={64} placeholder="eu-central" />
        </label>
        <label>
          Datacenter
          <input name="datacenter" required maxLength={64} placeholder="fra1" />
        </label>
      </div>
      {create.error && <div className="alert" role="alert">{errorMessage(create.error)}</div>}
      <div className="row">
        <button className="primary" type="submit" disabled={create.isPending}>
          Register
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function AddHost({ cloud }: { cloud: CloudDto }) {
  const trpc = useTRPC();
  const [reusable, setReusable] = useState(false);
  const queryClient = useQueryClient();
  const create = useMutation(trpc.joinToken.create.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.joinToken.list.queryKey() }) }));
  const command = create.data ? `NVI_JOIN='${create.data.joinString}' pnpm --filter @nvi/agent start` : null;
  return (
    <div>
      <div className="row">
        <button onClick={() => create.mutate({ cloudId: cloud.id, reusable, usageLimit: reusable ? 50 : null, expiresInHours: 24 })} disabled={create.isPending}>
          Add host
        </button>
        <label className="inline">
          <input type="checkbox" checked={reusable} onChange={(e) => setReusable(e.target.checked)} /> reusable (up to 50 hosts)
        </label>
      </div>
      {create.error && <div className="alert" role="alert">{errorMessage(create.error)}</div>}
      {command && (
        <div className="notice" style={{ marginTop: 8 }}>
          On the host (Debian 12, as root, in a checkout of this project after <code>bash scripts/up.sh</code> or{" "}
          <code>pnpm install</code>), run the agent with this join string. It is shown once and expires in 24 h.
          <pre data-testid="join-command">{command}</pre>
          <button onClick={() => void navigator.clipboard?.writeText(command)}>Copy</button>
          <p className="muted" style={{ marginBottom: 0 }}>
            No server at hand? <code>scripts/up.sh</code> runs lab hosts in two datacenters on this machine; enroll one with
          </p>
          <pre data-testid="local-join-command">{`pnpm --filter @nvi/dataplane local-hosts join --dc 1 '${create.data?.joinString ?? ""}'`}</pre>
        </div>
      )}
    </div>
  );
}

function CloudCard({ cloud }: { cloud: CloudDto }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.cloud.delete.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.cloud.list.queryKey() }) }));
  return (
    <section className="card" data-testid={`cloud-${cloud.name}`}>
      <div className="row" style={{ justifyContent: "space-between", alignItems: "center" }}>
        <div>
          <h2 style={{ margin: 0 }}>{cloud.name}</h2>
          <span className="badge">{KIND_LABEL[cloud.kind]}</span> <span className="muted">
            {cloud.region} / {cloud.datacenter}
          </span>
        </div>
        <button className="danger" disabled={remove.isPending} onClick={() => window.confirm(`Delete cloud ${cloud.name}?`) && remove.mutate({ cloudId: cloud.id })}>
          Delete cloud
        </button>
      </div>
      {remove.error && <div className="alert" role="alert">{errorMessage(remove.error)}</div>}
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
      <div className="row" style={{ justifyContent: "space-between" }}>
        <div>
          <h1>Clouds</h1>
          <p className="lead">Docker hosts, VM hosts and bare-metal servers, each cloud in its own region and datacenter.</p>
        </div>
        {!registering && (
          <button className="primary" onClick={() => setRegistering(true)}>
            Register cloud
          </button>
        )}
      </div>
      {registering && <RegisterCloud onDone={() => setRegistering(false)} />}
      {clouds.error && <div className="alert">{errorMessage(clouds.error)}</div>}
      {clouds.data?.length === 0 && !registering && (
        <EmptyState title="No clouds registered yet">
          <p>
            A cloud is a group of hosts you run in one datacenter. Register one, then add hosts: each runs the NVI agent, which dials out to
            this console with a join token, so hosts behind NAT work too.
          </p>
        </EmptyState>
      )}
      {clouds.data?.map((c) => <CloudCard key={c.id} cloud={c} />)}
    </>
  );
}
