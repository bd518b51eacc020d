"use client";

import type { InstanceDto } from "@nvi/contracts";
import { useTRPCClient } from "../trpc/client.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { RowActions } from "./ui/row-actions.tsx";
import { useAction } from "./ui/use-form-mutation.ts";

type Lifecycle = "stop" | "start" | "restart" | "terminate";

/**
 * Stop / Start / Restart / Terminate for one instance row, in the row's one menu. Which actions
 * show follows the core's state machine (stop: running or failed; start: stopped or failed;
 * restart: running); the status badge then follows the operation live (server-sent events). A
 * refusal shows under the menu. One mutation serves the four (a row runs one at a time: the others
 * are disabled meanwhile), which keeps a page of a hundred rows light to hydrate.
 */
export function InstanceActions({ instance }: { instance: InstanceDto }) {
  const client = useTRPCClient();
  const act = useAction({
    mutationFn: (kind: Lifecycle) => client.instance[kind].mutate({ instanceId: instance.id }),
  });
  const { id, name, status } = instance;
  const disabled = act.isPending;
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
            onSelect: () => act.mutate("stop"),
          },
          (status === "stopped" || status === "failed") && {
            label: "Start",
            testId: `instance-start-${name}`,
            disabled,
            onSelect: () => act.mutate("start"),
          },
          status === "running" && {
            label: "Restart",
            testId: `instance-restart-${name}`,
            disabled,
            onSelect: () => act.mutate("restart"),
          },
          status !== "terminating" && {
            label: "Terminate",
            danger: true,
            disabled,
            confirm: `Terminate ${name}? Its address is released.`,
            onSelect: () => act.mutate("terminate"),
          },
        ]}
      />
      <ErrorAlert error={act.error} testId={`instance-error-${name}`} />
    </>
  );
}
