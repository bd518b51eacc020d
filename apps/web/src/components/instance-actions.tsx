"use client";

import type { InstanceDto } from "@nvi/contracts";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { errorMessage, useTRPC } from "../trpc/client.tsx";

/**
 * Stop / Start / Restart / Terminate for one instance row. Which buttons show follows the core's
 * state machine (stop: running or failed; start: stopped or failed; restart: running); the status
 * badge then follows the operation live (server-sent events). A refusal shows under the buttons.
 */
export function InstanceActions({ instance }: { instance: InstanceDto }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onSuccess = () => queryClient.invalidateQueries();
  const stop = useMutation(trpc.instance.stop.mutationOptions({ onSuccess }));
  const start = useMutation(trpc.instance.start.mutationOptions({ onSuccess }));
  const restart = useMutation(trpc.instance.restart.mutationOptions({ onSuccess }));
  const terminate = useMutation(trpc.instance.terminate.mutationOptions({ onSuccess }));
  const { id, name, status } = instance;
  const busy = stop.isPending || start.isPending || restart.isPending || terminate.isPending;
  const error = stop.error ?? start.error ?? restart.error ?? terminate.error;
  return (
    <>
      {(status === "running" || status === "failed") && (
        <button data-testid={`instance-stop-${name}`} disabled={busy} onClick={() => stop.mutate({ instanceId: id })}>
          Stop
        </button>
      )}{" "}
      {(status === "stopped" || status === "failed") && (
        <button data-testid={`instance-start-${name}`} disabled={busy} onClick={() => start.mutate({ instanceId: id })}>
          Start
        </button>
      )}{" "}
      {status === "running" && (
        <button data-testid={`instance-restart-${name}`} disabled={busy} onClick={() => restart.mutate({ instanceId: id })}>
          Restart
        </button>
      )}{" "}
      {status !== "terminating" && (
        <button className="danger" disabled={busy} onClick={() => window.confirm(`Terminate ${name}? Its address is released.`) && terminate.mutate({ instanceId: id })}>
          Terminate
        </button>
      )}
      {error && (
        <div className="alert" role="alert" data-testid={`instance-error-${name}`}>
          {errorMessage(error)}
        </div>
      )}
    </>
  );
}
