"use client";

import { SerialStatus } from "@nvi/contracts";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import "@xterm/xterm/css/xterm.css";
import { useTRPC } from "../trpc/client.tsx";
import { Badge, type Tone } from "./ui/badge.tsx";
import { PageHeader } from "./ui/page-header.tsx";

/** What the page shows: each a sentence, never a bare code. */
type State =
  | { kind: "idle" }
  | { kind: "connecting" }
  | { kind: "waiting" }
  | { kind: "connected" }
  | { kind: "closed"; message: string }
  | { kind: "not-allowed"; message: string }
  | { kind: "vm-not-running"; message: string };

const LABEL: Record<State["kind"], [string, Tone]> = {
  idle: ["not connected", "muted"],
  connecting: ["connecting", "warn"],
  waiting: ["waiting for the VM's host", "warn"],
  connected: ["connected", "ok"],
  closed: ["closed", "muted"],
  "not-allowed": ["not allowed", "bad"],
  "vm-not-running": ["VM not running", "muted"],
};

/** A refusal of the ticket call, as the page says it. */
function refusal(error: unknown, name: string): State {
  const data = (error as { data?: { code?: string; domainCode?: string } }).data;
  const message = (error as Error).message;
  if (data?.code === "FORBIDDEN")
    return {
      kind: "not-allowed",
      message: `You may not use ${name}'s serial console: it takes the member role or higher.`,
    };
  if (data?.domainCode === "INSTANCE_STATE") return { kind: "vm-not-running", message };
  return { kind: "closed", message };
}

/**
 * A running VM's serial console in the browser (xterm.js). The page asks the API for a one-time
 * ticket (authorized per instance, audited), opens the relay's WebSocket with it, and copies
 * keystrokes and output; the relay's status messages become the states above.
 */
export function SerialConsoleView({ instanceId }: { instanceId: string }) {
  const trpc = useTRPC();
  const instance = useQuery(trpc.instance.get.queryOptions({ instanceId }));
  const ticket = useMutation(trpc.serialConsole.open.mutationOptions());
  const [state, setState] = useState<State>({ kind: "idle" });
  const screen = useRef<HTMLDivElement>(null);
  const socket = useRef<WebSocket | null>(null);
  const term = useRef<import("@xterm/xterm").Terminal | null>(null);
  const name = instance.data?.name ?? "this VM";
  const running = instance.data?.status === "running" && instance.data.runtime === "qemu";

  const connect = useCallback(async () => {
    socket.current?.close();
    setState({ kind: "connecting" });
    let t: { path: string; ticket: string };
    try {
      t = await ticket.mutateAsync({ instanceId });
    } catch (error) {
      setState(refusal(error, name));
      return;
    }
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}${t.path}?ticket=${encodeURIComponent(t.ticket)}`);
    ws.binaryType = "arraybuffer";
    socket.current = ws;
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data !== "string") return term.current?.write(new Uint8Array(e.data));
      const status = SerialStatus.safeParse(JSON.parse(e.data));
      if (!status.success) return;
      const s = status.data;
      if (s.state === "waiting") setState({ kind: "waiting" });
      if (s.state === "connected") {
        setState({ kind: "connected" });
        term.current?.focus();
      }
      if (s.state === "closed") setState({ kind: "closed", message: s.message ?? "the session ended" });
      if (s.state === "notice" && s.message) term.current?.write(`\r\n[console: ${s.message}]\r\n`);
    };
    ws.onclose = (e) =>
      setState((now) =>
        now.kind === "closed" || socket.current !== ws
          ? now
          : { kind: "closed", message: e.reason || "the connection to the console was lost" },
      );
  }, [instanceId, name, ticket]);

  // the terminal: made once the page is in the browser (xterm.js needs the DOM)
  useEffect(() => {
    let disposed = false;
    void import("@xterm/xterm").then(({ Terminal }) => {
      if (disposed || !screen.current) return;
      const t = new Terminal({ convertEol: false, cursorBlink: true, rows: 24, cols: 100, screenReaderMode: true });
      t.open(screen.current);
      const encoder = new TextEncoder();
      t.onData((d) => {
        if (socket.current?.readyState === WebSocket.OPEN) socket.current.send(encoder.encode(d));
      });
      term.current = t;
    });
    return () => {
      disposed = true;
      socket.current?.close();
      term.current?.dispose();
      term.current = null;
    };
  }, []);

  // connect once the VM is known to run; say so when it is not
  const started = useRef(false);
  useEffect(() => {
    if (!instance.data || started.current) return;
    started.current = true;
    if (running) void connect();
    else
      setState({
        kind: "vm-not-running",
        message:
          instance.data.runtime === "qemu"
            ? `${name} is ${instance.data.status}: its serial console opens once it runs.`
            : `${name} is a ${instance.data.runtime} instance: only VMs have a serial console.`,
      });
  }, [instance.data, running, connect, name]);

  const [label, tone] = LABEL[state.kind];
  const message = "message" in state ? state.message : null;
  return (
    <>
      <PageHeader
        title={`Serial console: ${name}`}
        lead={
          <>
            The VM&apos;s first serial port (ttyS0), through its host&apos;s agent.{" "}
            <Link href="/instances">Instances</Link>
          </>
        }
        actions={
          <button type="button" onClick={() => void connect()} disabled={!running || state.kind === "connecting"}>
            {state.kind === "connected" ? "Reconnect" : "Connect"}
          </button>
        }
      />
      {instance.error && <p className="alert">{instance.error.message}</p>}
      <p data-testid="serial-console-state" data-state={state.kind} role="status">
        <Badge tone={tone}>{label}</Badge> {state.kind === "connected" ? "Press Enter for a prompt." : message}
      </p>
      <div
        ref={screen}
        data-testid="serial-console"
        role="region"
        aria-label={`Serial console of ${name}`}
        className="serial-console"
      />
    </>
  );
}
