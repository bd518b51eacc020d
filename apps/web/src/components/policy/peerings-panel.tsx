"use client";

import type { PeeringDto, VpcDto } from "@nvi/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, type FormEvent } from "react";
import { formText } from "../../lib/form.ts";
import { errorMessage, useTRPC } from "../../trpc/client.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";

const STATUS_CLASS: Record<PeeringDto["status"], string> = { pending: "warn", active: "ok", rejected: "muted" };

function vpcText(v: { vpcId: string; vpcName: string | null; cidr: string | null; orgName: string }): string {
  return `${v.vpcName ?? v.vpcId}${v.cidr ? ` ${v.cidr}` : ""} · ${v.orgName}`;
}

/** Peerings of the organization's VPCs: request one (with the other VPC's id), accept or reject, end. */
export function PeeringsPanel({ vpc, peerings }: { vpc: VpcDto; peerings: PeeringDto[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const request = useMutation(trpc.peering.request.mutationOptions());
  const accept = useMutation(trpc.peering.accept.mutationOptions());
  const end = useMutation(trpc.peering.delete.mutationOptions());
  const reject = useMutation(trpc.peering.reject.mutationOptions({ onSuccess: () => queryClient.invalidateQueries() }));
  const flow = usePolicyChange(() => formRef.current?.reset());
  const busy = flow.state?.phase === "previewing" || flow.state?.phase === "applying";
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const peerVpcId = formText(new FormData(e.currentTarget), "peerVpcId");
    flow.start(`Peer ${vpc.name} with ${peerVpcId}`, (preview) => request.mutateAsync({ vpcId: vpc.id, peerVpcId, preview }));
  };
  return (
    <section aria-label="Peerings">
      <h2>Peerings</h2>
      <p className="muted">
        Peering lets rules name a group (or a whole VPC) on the other side; by itself it allows nothing. Give the other tenant this VPC&apos;s id: <span className="mono">{vpc.id}</span>
      </p>
      {peerings.length > 0 && (
        <div className="table-wrap">
          <table data-testid="peerings-table">
            <thead>
              <tr>
                <th>Requester</th>
                <th>Accepter</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {peerings.map((p) => (
                <tr key={p.id} data-testid={`peering-${p.id}`}>
                  <td>{vpcText(p.requester)}</td>
                  <td>{vpcText(p.accepter)}</td>
                  <td>
                    <span className={`badge ${STATUS_CLASS[p.status]}`}>{p.status}</span>
                  </td>
                  <td>
                    {p.status === "pending" && p.side !== "requester" && (
                      <>
                        <button className="primary" disabled={busy} onClick={() => flow.start("Accept peering", (preview) => accept.mutateAsync({ peeringId: p.id, preview }))}>
                          Accept
                        </button>{" "}
                        <button disabled={reject.isPending} onClick={() => reject.mutate({ peeringId: p.id })}>
                          Reject
                        </button>{" "}
                      </>
                    )}
                    <button className="danger" disabled={busy} onClick={() => flow.start(p.status === "active" ? "End peering" : "Withdraw peering", (preview) => end.mutateAsync({ peeringId: p.id, preview }))}>
                      {p.status === "active" ? "End" : "Remove"}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {reject.error && <div className="alert" role="alert">{errorMessage(reject.error)}</div>}
      <form ref={formRef} className="row" onSubmit={submit} aria-label="Request peering">
        <label>
          Peer VPC id
          <input name="peerVpcId" className="mono" required placeholder="vpc_…" />
        </label>
        <button type="submit" disabled={busy}>
          Preview peering
        </button>
      </form>
      <PolicyChangePanel flow={flow} testId="peering-change" />
    </section>
  );
}
