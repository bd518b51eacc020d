"use client";

import type { DenyDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { formText } from "../../lib/form.ts";
import { formatLabels, parseLabels } from "../../lib/labels.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { DataTable } from "../ui/data-table.tsx";
import { ErrorAlert } from "../ui/error-alert.tsx";
import { InputField } from "../ui/form-card.tsx";
import { RowActions } from "../ui/row-actions.tsx";
import { problem, useFormSubmit } from "../ui/use-form-mutation.ts";
import { PolicyChangePanel, usePolicyChange } from "./policy-change.tsx";

/** The deny form's fields as a deny entry, or what is wrong with the labels. */
function readDeny(f: FormData) {
  const src = parseLabels(formText(f, "srcLabels"), "srcLabels");
  if (!src.ok) return problem(src.error);
  const dst = parseLabels(formText(f, "dstLabels"), "dstLabels");
  if (!dst.ok) return problem(dst.error);
  return { srcLabels: src.labels, dstLabels: dst.labels, description: formText(f, "description") };
}

/** The organization's guardrails by label, evaluated before every rule of every VPC. */
export function DenyList({ denies }: { denies: DenyDto[] }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.deny.create.mutationOptions());
  const remove = useMutation(trpc.deny.delete.mutationOptions());
  const flow = usePolicyChange(() => form.reset());
  const form = useFormSubmit(readDeny, (input) =>
    flow.start(
      `Deny ${formatLabels(input.srcLabels) || "anything"} → ${formatLabels(input.dstLabels) || "anything"}`,
      ({ preview }) => create.mutateAsync({ ...input, preview }),
    ),
  );
  return (
    <section aria-label="Deny list">
      <h2>Deny list</h2>
      <p className="muted">
        Organization-wide guardrails: instances matching the first labels never open conversations to instances matching
        the second, whatever the rules say.
      </p>
      <DataTable
        testId="deny-table"
        rows={denies}
        rowKey={(d) => d.id}
        rowAttributes={(d) => ({ "data-testid": `deny-${d.id}` })}
        columns={[
          {
            key: "from",
            header: "From labels",
            className: "mono",
            cell: (d) => formatLabels(d.srcLabels) || "any instance",
          },
          {
            key: "to",
            header: "To labels",
            className: "mono",
            cell: (d) => formatLabels(d.dstLabels) || "any instance",
          },
          { key: "description", header: "Description", sort: (d) => d.description, cell: (d) => d.description },
        ]}
        actions={(d) => (
          <RowActions
            label={`Actions for deny entry ${d.description || d.id}`}
            actions={[
              {
                label: "Remove",
                danger: true,
                disabled: flow.busy,
                onSelect: () =>
                  flow.start("Remove deny entry", ({ preview }) => remove.mutateAsync({ denyId: d.id, preview })),
              },
            ]}
          />
        )}
      />
      <form className="row" aria-label="Add deny entry" {...form.formProps}>
        <InputField label="From labels" name="srcLabels" className="mono" placeholder="env=prod" />
        <InputField label="To labels" name="dstLabels" className="mono" placeholder="env=dev" />
        <InputField label="Description" grow name="description" maxLength={200} placeholder="prod never talks to dev" />
        <button type="submit" disabled={flow.busy}>
          Preview deny
        </button>
      </form>
      <ErrorAlert error={form.error} />
      <PolicyChangePanel flow={flow} testId="deny-change" />
    </section>
  );
}
