"use client";

import type { DenyDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { formText } from "../../lib/form.ts";
import { formatLabels, parseLabels } from "../../lib/labels.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";

/** The organization's guardrails by label, evaluated before every rule of every VPC. */
export function DenyList({ denies }: { denies: DenyDto[] }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.deny.create.mutationOptions());
  const remove = useMutation(trpc.deny.delete.mutationOptions());
  const formRef = useRef<HTMLFormElement>(null);
  const flow = usePolicyChange(() => formRef.current?.reset());
  const [error, setError] = useState<string | null>(null);
  const busy = flow.state?.phase === "previewing" || flow.state?.phase === "applying";
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const src = parseLabels(formText(f, "srcLabels"), "srcLabels");
    const dst = parseLabels(formText(f, "dstLabels"), "dstLabels");
    if (!src.ok || !dst.ok) return setError(!src.ok ? src.error : !dst.ok ? dst.error : null);
    setError(null);
    const input = { srcLabels: src.labels, dstLabels: dst.labels, description: formText(f, "description") };
    flow.start(`Deny ${formatLabels(input.srcLabels) || "anything"} → ${formatLabels(input.dstLabels) || "anything"}`, (preview) => create.mutateAsync({ ...input, preview }));
  };
  return (
    <section aria-label="Deny list">
      <h2>Deny list</h2>
      <p className="muted">Organization-wide guardrails: instances matching the first labels never open conversations to instances matching the second, whatever the rules say.</p>
      {denies.length > 0 && (
        <div className="table-wrap">
          <table data-testid="deny-table">
            <thead>
              <tr>
                <th>From labels</th>
                <th>To labels</th>
                <th>Description</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {denies.map((d) => (
                <tr key={d.id} data-testid={`deny-${d.id}`}>
                  <td className="mono">{formatLabels(d.srcLabels) || "any instance"}</td>
                  <td className="mono">{formatLabels(d.dstLabels) || "any instance"}</td>
                  <td>{d.description}</td>
                  <td>
                    <button className="danger" disabled={busy} onClick={() => flow.start("Remove deny entry", (preview) => remove.mutateAsync({ denyId: d.id, preview }))}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form ref={formRef} className="row" onSubmit={submit} aria-label="Add deny entry">
        <label>
          From labels
          <input name="srcLabels" className="mono" placeholder="env=prod" />
        </label>
        <label>
          To labels
          <input name="dstLabels" className="mono" placeholder="env=dev" />
        </label>
        <label style={{ flex: 1 }}>
          Description
          <input name="description" maxLength={200} placeholder="prod never talks to dev" />
        </label>
        <button type="submit" disabled={busy}>
          Preview deny
        </button>
      </form>
      {error && <div className="alert" role="alert">{error}</div>}
      <PolicyChangePanel flow={flow} testId="deny-change" />
    </section>
  );
}
