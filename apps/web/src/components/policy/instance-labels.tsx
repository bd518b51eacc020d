"use client";

import type { InstanceDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formText } from "../../lib/form.ts";
import { formatLabels, parseLabels } from "../../lib/labels.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";

/** An instance's labels, and an editor: labels decide label-matched groups, so a change is previewed. */
export function InstanceLabels({ instance }: { instance: InstanceDto }) {
  const trpc = useTRPC();
  const setLabels = useMutation(trpc.policy.setLabels.mutationOptions());
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const flow = usePolicyChange(() => setEditing(false));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const parsed = parseLabels(formText(new FormData(e.currentTarget), "labelsText"));
    if (!parsed.ok) return setError(parsed.error);
    setError(null);
    flow.start(`Labels of ${instance.name}: ${formatLabels(parsed.labels) || "none"}`, (preview) => setLabels.mutateAsync({ instanceId: instance.id, labels: parsed.labels, preview }));
  };
  const entries = Object.entries(instance.labels);
  return (
    <div data-testid={`instance-labels-${instance.name}`}>
      {entries.length === 0 ? (
        <span className="muted">none</span>
      ) : (
        entries.map(([k, v]) => (
          <span key={k} className="badge mono" style={{ marginRight: 4 }}>
            {v === "" ? k : `${k}=${v}`}
          </span>
        ))
      )}{" "}
      {!editing && (
        <button className="link" onClick={() => setEditing(true)} data-testid={`instance-labels-edit-${instance.name}`}>
          edit
        </button>
      )}
      {editing && (
        <form className="row" onSubmit={submit} aria-label={`Labels of ${instance.name}`}>
          <input name="labelsText" aria-label={`labels of ${instance.name}`} className="mono" defaultValue={formatLabels(instance.labels)} placeholder="tier=web, env=prod" />
          <button type="submit" disabled={flow.state?.phase === "previewing"}>
            Preview
          </button>
          <button type="button" onClick={() => (setEditing(false), flow.cancel(), setError(null))}>
            Cancel
          </button>
        </form>
      )}
      {error && <div className="alert" role="alert">{error}</div>}
      <PolicyChangePanel flow={flow} testId={`labels-change-${instance.name}`} />
    </div>
  );
}
