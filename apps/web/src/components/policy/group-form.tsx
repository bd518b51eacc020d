"use client";

import type { GroupDto, InstanceDto } from "@nvi/contracts";
import { useState, type FormEvent } from "react";
import { formText } from "../../lib/form.ts";
import { formatLabels, parseLabels } from "../../lib/labels.ts";

export interface GroupFormValue {
  name: string;
  description: string;
  /** null: explicit members only; {} = every instance of the VPC */
  matchLabels: Record<string, string> | null;
  memberIds: string[];
}

/**
 * Create or edit a group: who is in it by label (`tier=web`; `*` for every instance) and/or by
 * hand (the VPC's instances, ticked). Submitting asks for the preview; the panel applies it.
 */
export function GroupForm({ instances, group, onSubmit, onCancel, busy }: { instances: InstanceDto[]; group?: GroupDto; onSubmit: (v: GroupFormValue) => void; onCancel: () => void; busy: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const initialSelector = group?.matchLabels === null || group === undefined ? "" : Object.keys(group.matchLabels).length === 0 ? "*" : formatLabels(group.matchLabels);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const selector = formText(f, "matchLabels");
    const memberIds = f.getAll("memberIds").filter((v): v is string => typeof v === "string");
    let matchLabels: Record<string, string> | null = null;
    if (selector === "*") matchLabels = {};
    else if (selector !== "") {
      const parsed = parseLabels(selector, "matchLabels");
      if (!parsed.ok) return setError(parsed.error);
      matchLabels = parsed.labels;
    }
    if (matchLabels === null && memberIds.length === 0) return setError("matchLabels: give labels (tier=web), * for every instance, or tick some members");
    setError(null);
    onSubmit({ name: formText(f, "name"), description: formText(f, "description"), matchLabels, memberIds });
  };
  const label = group ? `Edit group ${group.name}` : "Create group";
  return (
    <form className="card form" onSubmit={submit} aria-label={label}>
      <h3 style={{ marginTop: 0 }}>{label}</h3>
      <div className="row">
        <label>
          Name
          <input name="name" required maxLength={64} defaultValue={group?.name} placeholder="web" />
        </label>
        <label style={{ flex: 1 }}>
          Members by label
          <input name="matchLabels" className="mono" defaultValue={initialSelector} placeholder="tier=web   (* = every instance; empty = only the ones ticked)" />
        </label>
        <label style={{ flex: 1 }}>
          Description
          <input name="description" maxLength={200} defaultValue={group?.description} />
        </label>
      </div>
      {instances.length > 0 && (
        <fieldset className="row" style={{ border: 0, padding: 0 }}>
          <legend className="muted">Members by hand</legend>
          {instances.map((i) => (
            <label key={i.id} className="inline">
              <input type="checkbox" name="memberIds" value={i.id} defaultChecked={group?.memberIds.includes(i.id)} /> {i.name}
              {Object.keys(i.labels).length > 0 && <span className="muted mono"> {formatLabels(i.labels)}</span>}
            </label>
          ))}
        </fieldset>
      )}
      {error && <div className="alert" role="alert">{error}</div>}
      <div className="row">
        <button className="primary" type="submit" disabled={busy}>
          Preview
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
