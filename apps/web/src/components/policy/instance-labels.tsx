"use client";

import type { InstanceDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { formText } from "../../lib/form.ts";
import { formatLabels, parseLabels } from "../../lib/labels.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { ErrorAlert } from "../ui/error-alert.tsx";
import { problem, useFormSubmit } from "../ui/use-form-mutation.ts";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";

function Badges({ labels }: { labels: InstanceDto["labels"] }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <span className="muted">none</span>;
  return entries.map(([k, v]) => (
    <span key={k} className="badge mono" style={{ marginRight: 4 }}>
      {v === "" ? k : `${k}=${v}`}
    </span>
  ));
}

/**
 * An instance's labels, and an editor: labels decide label-matched groups, so a change is previewed.
 * A table shows a hundred of these: the editor (its mutation and preview flow) is mounted only once
 * "edit" is first pressed, and stays so its result shows after it closes.
 */
export function InstanceLabels({ instance }: { instance: InstanceDto }) {
  const [opened, setOpened] = useState(false);
  if (opened) return <LabelsEditor instance={instance} />;
  return (
    <div data-testid={`instance-labels-${instance.name}`}>
      <Badges labels={instance.labels} />{" "}
      <button className="link" onClick={() => setOpened(true)} data-testid={`instance-labels-edit-${instance.name}`}>
        edit
      </button>
    </div>
  );
}

function LabelsEditor({ instance }: { instance: InstanceDto }) {
  const trpc = useTRPC();
  const setLabels = useMutation(trpc.policy.setLabels.mutationOptions());
  const [editing, setEditing] = useState(true);
  const flow = usePolicyChange(() => setEditing(false));
  const form = useFormSubmit(
    (f) => {
      const parsed = parseLabels(formText(f, "labelsText"));
      return parsed.ok ? parsed.labels : problem(parsed.error);
    },
    (labels) =>
      flow.start(`Labels of ${instance.name}: ${formatLabels(labels) || "none"}`, ({ preview }) =>
        setLabels.mutateAsync({ instanceId: instance.id, labels, preview }),
      ),
  );
  return (
    <div data-testid={`instance-labels-${instance.name}`}>
      <Badges labels={instance.labels} />{" "}
      {!editing && (
        <button className="link" onClick={() => setEditing(true)} data-testid={`instance-labels-edit-${instance.name}`}>
          edit
        </button>
      )}
      {editing && (
        <form className="row" {...form.formProps} aria-label={`Labels of ${instance.name}`}>
          <input
            name="labelsText"
            aria-label={`labels of ${instance.name}`}
            className="mono"
            defaultValue={formatLabels(instance.labels)}
            placeholder="tier=web, env=prod"
          />
          <button type="submit" disabled={flow.state?.phase === "previewing"}>
            Preview
          </button>
          <button type="button" onClick={() => (setEditing(false), flow.cancel(), form.setError(null))}>
            Cancel
          </button>
        </form>
      )}
      <ErrorAlert error={form.error} />
      <PolicyChangePanel flow={flow} testId={`labels-change-${instance.name}`} />
    </div>
  );
}
