"use client";

import type { VpcDto } from "@nvi/contracts";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { InputField } from "./ui/form-card.tsx";
import { problem, useFormMutation } from "./ui/use-form-mutation.ts";

/** "0".."63" → the number, else what is wrong (the field's name leads, as the API's errors do). */
export function readDscp(form: FormData) {
  const text = formText(form, "underlayDscp") || "0";
  const n = Number(text);
  return /^\d+$/.test(text) && n <= 63 ? n : problem("Underlay DSCP: a whole number from 0 to 63");
}

/** The DSCP field of a form (create a VPC, or change one's mark). */
export function DscpField({ defaultValue = 0 }: { defaultValue?: number }) {
  return (
    <InputField
      label="Underlay DSCP"
      name="underlayDscp"
      type="number"
      min={0}
      max={63}
      defaultValue={defaultValue}
      style={{ width: "6em" }}
      title="What the VPC's packets carry on the underlay (0 = best effort, 46 = expedited). Instances' own marks never leave their host."
    />
  );
}

/**
 * A VPC's underlay mark: changed as a policy operation (its pairs are re-marked on every VEB at
 * once; nobody gains or loses access).
 */
export function UnderlayMark({ vpc }: { vpc: VpcDto }) {
  const trpc = useTRPC();
  const form = useFormMutation(trpc.vpc.setUnderlayDscp.mutationOptions(), (f) => {
    const dscp = readDscp(f);
    return typeof dscp === "number" ? { vpcId: vpc.id, underlayDscp: dscp } : dscp;
  });
  return (
    <form className="row" aria-label={`Underlay DSCP of ${vpc.name}`} noValidate {...form.formProps}>
      <DscpField key={vpc.underlayDscp} defaultValue={vpc.underlayDscp} />
      <button type="submit" disabled={form.pending}>
        Set mark
      </button>
      <ErrorAlert error={form.error} />
    </form>
  );
}
