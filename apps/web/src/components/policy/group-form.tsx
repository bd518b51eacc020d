"use client";

import type { GroupDto, InstanceDto } from "@nvi/contracts";
import { formText } from "../../lib/form.ts";
import { formatLabels, parseLabels } from "../../lib/labels.ts";
import { Field, FormCard, InputField } from "../ui/form-card.tsx";
import { problem, useFormSubmit, type FormProblem } from "../ui/use-form-mutation.ts";

export interface GroupFormValue {
  name: string;
  description: string;
  /** null: explicit members only; {} = every instance of the VPC */
  matchLabels: Record<string, string> | null;
  memberIds: string[];
}

/** The form's fields as a group: members by label (`*` = everyone, empty = only those ticked) and by hand. */
function readGroup(f: FormData): GroupFormValue | FormProblem {
  const selector = formText(f, "matchLabels");
  const memberIds = f.getAll("memberIds").filter((v): v is string => typeof v === "string");
  let matchLabels: Record<string, string> | null = null;
  if (selector === "*") matchLabels = {};
  else if (selector !== "") {
    const parsed = parseLabels(selector, "matchLabels");
    if (!parsed.ok) return problem(parsed.error);
    matchLabels = parsed.labels;
  }
  if (matchLabels === null && memberIds.length === 0)
    return problem("matchLabels: give labels (tier=web), * for every instance, or tick some members");
  return { name: formText(f, "name"), description: formText(f, "description"), matchLabels, memberIds };
}

/**
 * Create or edit a group: who is in it by label (`tier=web`; `*` for every instance) and/or by
 * hand (the VPC's instances, ticked). Submitting asks for the preview; the panel applies it.
 */
export function GroupForm({
  instances,
  group,
  onSubmit,
  onCancel,
  busy,
}: {
  instances: InstanceDto[];
  group?: GroupDto;
  onSubmit: (v: GroupFormValue) => void;
  onCancel: () => void;
  busy: boolean;
}) {
  const initialSelector =
    group?.matchLabels === null || group === undefined
      ? ""
      : Object.keys(group.matchLabels).length === 0
        ? "*"
        : formatLabels(group.matchLabels);
  const form = useFormSubmit(readGroup, onSubmit);
  const label = group ? `Edit group ${group.name}` : "Create group";
  return (
    <FormCard title={label} heading={3} form={form} submit="Preview" disabled={busy} onCancel={onCancel}>
      <div className="row">
        <InputField label="Name" name="name" required maxLength={64} defaultValue={group?.name} placeholder="web" />
        <Field label="Members by label" grow>
          <input
            name="matchLabels"
            className="mono"
            defaultValue={initialSelector}
            placeholder="tier=web   (* = every instance; empty = only the ones ticked)"
          />
        </Field>
        <InputField label="Description" grow name="description" maxLength={200} defaultValue={group?.description} />
      </div>
      {instances.length > 0 && (
        <fieldset className="row" style={{ border: 0, padding: 0 }}>
          <legend className="muted">Members by hand</legend>
          {instances.map((i) => (
            <label key={i.id} className="inline">
              <input type="checkbox" name="memberIds" value={i.id} defaultChecked={group?.memberIds.includes(i.id)} />{" "}
              {i.name}
              {Object.keys(i.labels).length > 0 && <span className="muted mono"> {formatLabels(i.labels)}</span>}
            </label>
          ))}
        </fieldset>
      )}
    </FormCard>
  );
}
