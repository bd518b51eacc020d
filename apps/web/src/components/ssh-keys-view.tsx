"use client";

import { SSH_KEY_MAX_CHARS } from "@nvi/contracts";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { DataTable, WithDetail } from "./ui/data-table.tsx";
import { EmptyState } from "./ui/empty-state.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { Field, FormCard, InputField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { formatDateTime } from "./ui/time.ts";
import { useAction, useFormMutation } from "./ui/use-form-mutation.ts";

function AddKeyForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const form = useFormMutation(
    trpc.sshKey.add.mutationOptions(),
    (f) => ({ name: formText(f, "name"), publicKey: formText(f, "publicKey") }),
    { refresh: trpc.sshKey.list.queryKey(), onDone },
  );
  return (
    <FormCard title="Add an SSH key" form={form} submit="Add key" onCancel={onDone} focusOnOpen>
      <div className="row">
        <InputField label="Name" grow name="name" required maxLength={80} placeholder="ann-laptop" />
      </div>
      <Field
        label="Public key"
        hint={
          <>
            The line of your <code>.pub</code> file (<code>cat ~/.ssh/id_ed25519.pub</code>): ed25519, ECDSA, or RSA of
            2048 bits or more. Never the private key.
          </>
        }
      >
        <textarea
          name="publicKey"
          required
          rows={3}
          maxLength={SSH_KEY_MAX_CHARS}
          className="mono"
          spellCheck={false}
          placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… ann@laptop"
        />
      </Field>
    </FormCard>
  );
}

/** The organization's SSH public keys: added here, chosen when a VM is launched. */
export function SshKeysView() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.sshKey.list.queryOptions());
  const [adding, setAdding] = useState(false);
  const remove = useAction(trpc.sshKey.remove.mutationOptions(), { refresh: trpc.sshKey.list.queryKey() });
  return (
    <>
      <PageHeader
        title="SSH keys"
        lead="Public keys of your organization. Choose them when you launch a VM: its guest lets them log in as debian."
        actions={
          !adding && (
            <button className="primary" onClick={() => setAdding(true)}>
              Add SSH key
            </button>
          )
        }
      />
      {adding && <AddKeyForm onDone={() => setAdding(false)} />}
      <ErrorAlert error={[remove.error, keys.error]} />
      <DataTable
        rows={keys.data ?? []}
        rowKey={(k) => k.id}
        anchorRows
        rowAttributes={(k) => ({ "data-testid": `ssh-key-${k.name}` })}
        empty={
          keys.data &&
          !adding && (
            <EmptyState title="No SSH keys yet">
              <p>Add your public key to log in to the VMs you launch (ssh debian@ the VM&apos;s address).</p>
            </EmptyState>
          )
        }
        columns={[
          { key: "name", header: "Name", sort: (k) => k.name, cell: (k) => k.name },
          { key: "type", header: "Type", sort: (k) => k.type, cell: (k) => `${k.type} (${k.bits} bits)` },
          { key: "fingerprint", header: "Fingerprint", className: "mono", cell: (k) => k.fingerprint },
          { key: "comment", header: "Comment", cell: (k) => k.comment ?? "" },
          {
            key: "added",
            header: "Added",
            sort: (k) => k.createdAt,
            cell: (k) => <WithDetail main={formatDateTime(k.createdAt)} detail={k.createdBy} />,
          },
        ]}
        actions={(k) => (
          <RowActions
            label={`Actions for SSH key ${k.name}`}
            actions={[
              {
                label: "Remove",
                danger: true,
                disabled: remove.isPending,
                confirm: `Remove "${k.name}"? VMs launched with it keep it; new VMs can no longer choose it.`,
                onSelect: () => remove.mutate({ sshKeyId: k.id }),
              },
            ]}
          />
        )}
      />
    </>
  );
}
