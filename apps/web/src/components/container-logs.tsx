"use client";

import { LOG_LIMITS, stripControlSequences } from "@nvi/contracts";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTRPC } from "../trpc/client.tsx";
import { ErrorAlert } from "./ui/error-alert.tsx";
import { SelectField } from "./ui/form-card.tsx";
import { PageHeader } from "./ui/page-header.tsx";

const LINE_CHOICES = ["50", "200", String(LOG_LIMITS.maxLines)] as const;
/** Follow asks again this often: 12 reads a minute, well under the API's 30. */
export const FOLLOW_EVERY_MS = 5_000;

/**
 * A container's recent output (stdout and stderr by time), read from its host's agent on demand:
 * the last N lines, Refresh, and Follow (asks again every few seconds while the page is open). The
 * API removes terminal control sequences; the page removes them again before showing the text as
 * text (never as markup). Also shows what the container was launched with: its command and the
 * names of its environment variables (their values are never shown).
 */
export function ContainerLogsView({ instanceId }: { instanceId: string }) {
  const trpc = useTRPC();
  const instance = useQuery(trpc.instance.get.queryOptions({ instanceId }));
  const read = useMutation(trpc.instance.logs.mutationOptions());
  const { mutate } = read;
  const [lines, setLines] = useState<string>("200");
  const [follow, setFollow] = useState(false);
  const name = instance.data?.name ?? "this container";
  const pending = useRef(false);

  const refresh = useCallback(() => {
    if (pending.current) return;
    pending.current = true;
    mutate({ instanceId, lines: Number(lines) }, { onSettled: () => void (pending.current = false) });
  }, [mutate, instanceId, lines]);

  useEffect(() => {
    if (instance.data?.runtime === "docker") refresh();
  }, [instance.data?.runtime, refresh]);

  useEffect(() => {
    if (!follow) return;
    const timer = setInterval(refresh, FOLLOW_EVERY_MS);
    return () => clearInterval(timer);
  }, [follow, refresh]);

  const logs = read.data;
  const command = instance.data?.command;
  const envNames = instance.data?.envNames ?? [];
  return (
    <>
      <PageHeader
        title={`Logs: ${name}`}
        lead={
          <>
            The container&apos;s last lines of output (stdout and stderr), read from its host when you ask.{" "}
            <Link href="/instances">Instances</Link>
          </>
        }
        actions={
          <button type="button" onClick={refresh} disabled={read.isPending} data-testid="logs-refresh">
            Refresh
          </button>
        }
      />
      <ErrorAlert error={[instance.error, read.error]} testId="logs-error" />
      {instance.data && (
        <p data-testid="logs-launch">
          Command:{" "}
          <span className="mono">{command ? command.map((w) => JSON.stringify(w)).join(" ") : "the image's own"}</span>.
          Environment:{" "}
          <span className="mono">{envNames.length > 0 ? `${envNames.join(", ")} (values hidden)` : "none set"}</span>
        </p>
      )}
      <div className="row">
        <SelectField<string>
          label="Lines"
          name="lines"
          value={lines}
          onChange={setLines}
          options={LINE_CHOICES.map((n) => ({ value: n, label: `last ${n}` }))}
        />
        <label className="inline">
          <input
            type="checkbox"
            checked={follow}
            onChange={(e) => setFollow(e.target.checked)}
            data-testid="logs-follow"
          />{" "}
          Follow (every {FOLLOW_EVERY_MS / 1000} s)
        </label>
      </div>
      <p className="muted" role="status" data-testid="logs-status">
        {logs
          ? `${logs.text === "" ? "No output yet" : `Last ${lines} lines`}${logs.truncated ? " (older output left out)" : ""}, read at ${new Date(logs.fetchedAt).toLocaleTimeString()}`
          : read.isPending
            ? "Reading…"
            : ""}
      </p>
      <pre className="container-logs mono" data-testid="logs-text" aria-label={`Logs of ${name}`} tabIndex={0}>
        {logs ? stripControlSequences(logs.text) : ""}
      </pre>
    </>
  );
}
