"use client";

import type { InstanceDto } from "@nvi/contracts";
import { useTRPC } from "../trpc/client.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { useAction } from "./ui/use-form-mutation.ts";

/**
 * Stop / Start / Restart / Terminate for one instance row, in the row's one menu. Which actions
 * show follows the core's state machine (stop: running or failed; start: stopped or failed;
 * restart: running); the status badge then follows the operation live (server-sent events). A
 * refusal shows under the menu.
 */
export function InstanceActions({ instance }: { instance: InstanceDto }) {
  const trpc = useTRPC();
  const stop = useAction(trpc.instance.stop.mutationOptions());
  const start = useAction(trpc.instance.start.mutationOptions());
  const restart = useAction(trpc.instance.restart.mutationOptions());
  const terminate = useAction(trpc.instance.terminate.mutationOptions());
  const { id, name, status } = instance;
  const disabled = stop.isPending || start.isPending || restart.isPending || terminate.isPending;
  const input = { instanceId: id };
  return (
    <>
      <RowActions
        label={`Actions for instance ${name}`}
        actions={[
          { label: "Operations", href: `/operations?target=${id}` },
          instance.runtime === "qemu" &&
            status === "running" && { label: "Serial console", href: `/instances/${id}/console` },
          instance.runtime === "docker" &&
            status !== "pending" &&
            status !== "terminating" &&
            status !== "terminated" && { label: "Logs", href: `/instances/${id}/logs` },
          (status === "running" || status === "failed") && {
            label: "Stop",
            testId: `instance-stop-${name}`,
            disabled,
            onSelect: () => stop.mutate(input),
          },
          (status === "stopped" || status === "failed") && {
            label: "Start",
            testId: `instance-start-${name}`,
            disabled,
            onSelect: () => start.mutate(input),
          },
          status === "running" && {
            label: "Restart",
            testId: `instance-restart-${name}`,
            disabled,
            onSelect: () => restart.mutate(input),
          },
          status !== "terminating" && {
            label: "Terminate",
            danger: true,
            disabled,
            confirm: `Terminate ${name}? Its address is released.`,
            onSelect: () => terminate.mutate(input),
          },
        ]}
      />
      <ErrorAlert error={[stop.error, start.error, restart.error, terminate.error]} testId={`instance-error-${name}`} />
    </>
  );
}
