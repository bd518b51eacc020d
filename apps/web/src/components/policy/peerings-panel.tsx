"use client";

import type { PeeringDto, VpcDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { formText } from "../../lib/form.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { Badge, type Tone } from "../ui/badge.tsx";
import { DataTable } from "../ui/data-table.tsx";
import { ErrorAlert } from "../ui/error-alert.tsx";
import { InputField } from "../ui/form-card.tsx";
import { RowActions } from "../ui/row-actions.tsx";
import { useAction, useFormSubmit } from "../ui/use-form-mutation.ts";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";

const STATUS_TONE: Record<PeeringDto["status"], Tone> = { pending: "warn", active: "ok", rejected: "muted" };

function vpcText(v: { vpcId: string; vpcName: string | null; cidr: string | null; orgName: string }): string {
  return `${v.vpcName ?? v.vpcId}${v.cidr ? ` ${v.cidr}` : ""} · ${v.orgName}`;
}

/** Peerings of the organization's VPCs: request one (with the other VPC's id), accept or reject, end. */
export function PeeringsPanel({ vpc, peerings }: { vpc: VpcDto; peerings: PeeringDto[] }) {
  const trpc = useTRPC();
  const request = useMutation(trpc.peering.request.mutationOptions());
  const accept = useMutation(trpc.peering.accept.mutationOptions());
  const end = useMutation(trpc.peering.delete.mutationOptions());
  const reject = useAction(trpc.peering.reject.mutationOptions());
  const flow = usePolicyChange(() => form.reset());
  const form = useFormSubmit(
    (f) => formText(f, "peerVpcId"),
    (peerVpcId) =>
      flow.start(`Peer ${vpc.name} with ${peerVpcId}`, ({ preview }) =>
        request.mutateAsync({ vpcId: vpc.id, peerVpcId, preview }),
      ),
  );
  return (
    <section aria-label="Peerings">
      <h2>Peerings</h2>
      <p className="muted">
        Peering lets rules name a group (or a whole VPC) on the other side; by itself it allows nothing. Give the other
        tenant this VPC&apos;s id: <span className="mono">{vpc.id}</span>
      </p>
      <DataTable
        testId="peerings-table"
        rows={peerings}
        rowKey={(p) => p.id}
        rowAttributes={(p) => ({ "data-testid": `peering-${p.id}` })}
        columns={[
          { key: "requester", header: "Requester", cell: (p) => vpcText(p.requester) },
          { key: "accepter", header: "Accepter", cell: (p) => vpcText(p.accepter) },
          {
            key: "status",
            header: "Status",
            sort: (p) => p.status,
            cell: (p) => <Badge tone={STATUS_TONE[p.status]}>{p.status}</Badge>,
          },
        ]}
        actions={(p) => {
          const answerable = p.status === "pending" && p.side !== "requester";
          return (
            <RowActions
              label={`Actions for the peering of ${vpcText(p.requester)} and ${vpcText(p.accepter)}`}
              actions={[
                answerable && {
                  label: "Accept",
                  disabled: flow.busy,
                  onSelect: () =>
                    flow.start("Accept peering", ({ preview }) => accept.mutateAsync({ peeringId: p.id, preview })),
                },
                answerable && {
                  label: "Reject",
                  disabled: reject.isPending,
                  onSelect: () => reject.mutate({ peeringId: p.id }),
                },
                {
                  label: p.status === "active" ? "End" : "Remove",
                  danger: true,
                  disabled: flow.busy,
                  onSelect: () =>
                    flow.start(p.status === "active" ? "End peering" : "Withdraw peering", ({ preview }) =>
                      end.mutateAsync({ peeringId: p.id, preview }),
                    ),
                },
              ]}
            />
          );
        }}
      />
      <ErrorAlert error={reject.error} />
      <form className="row" aria-label="Request peering" {...form.formProps}>
        <InputField label="Peer VPC id" name="peerVpcId" className="mono" required placeholder="vpc_…" />
        <button type="submit" disabled={flow.busy}>
          Preview peering
        </button>
      </form>
      <PolicyChangePanel flow={flow} testId="peering-change" />
    </section>
  );
}
