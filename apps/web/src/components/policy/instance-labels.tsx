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

/**
 * An instance's labels, and an editor: labels decide label-matched groups, so a change is previewed.
 * A table shows a hundred of these: the editor (its mutation and preview flow) is mounted only once
 * "edit" is first pressed, and stays so its result shows after it closes.
 */
export function InstanceLabels({ instance }: { instance: InstanceDto }) {
  const [editorMounted, setEditorMounted] = useState(false);
  const [editing, setEditing] = useState(false);
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
        <button
          className="link"
          onClick={() => (setEditorMounted(true), setEditing(true))}
          data-testid={`instance-labels-edit-${instance.name}`}
        >
          edit
        </button>
      )}
      {editorMounted && <LabelsEditor instance={instance} editing={editing} close={() => setEditing(false)} />}
    </div>
  );
}

/** The form (while editing), its problem, and the change's preview / result (which outlive the form). */
function LabelsEditor({ instance, editing, close }: { instance: InstanceDto; editing: boolean; close: () => void }) {
  const trpc = useTRPC();
  const setLabels = useMutation(trpc.policy.setLabels.mutationOptions());
  const flow = usePolicyChange(close);
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
    <>
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
          <button type="button" onClick={() => (close(), flow.cancel(), form.setError(null))}>
            Cancel
          </button>
        </form>
      )}
      <ErrorAlert error={form.error} />
      <PolicyChangePanel flow={flow} testId={`labels-change-${instance.name}`} />
    </>
  );
}
