"use client";

import type { InstanceDto, ReachabilityDto } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formText } from "../lib/form.ts";
import { errorMessage, useTRPC } from "../trpc/client.tsx";

const PORT_PRESETS = [22, 80, 443, 5432, 6379] as const;
const VERDICT: Record<ReachabilityDto["result"], { label: string; className: string }> = {
  open: { label: "reaches", className: "ok" },
  refused: { label: "reaches the host, but the port is closed on", className: "warn" },
  "no-answer": { label: "gets no answer from", className: "bad" },
};

export function ProbeVerdict({ r }: { r: ReachabilityDto }) {
  const v = VERDICT[r.result];
  const what = r.protocol === "icmp" ? "ping" : `tcp/${r.port}`;
  return (
    <div className={`alert ${v.className}`} role="status" data-testid="reachability-result" data-result={r.result} data-reachable={r.reachable}>
      <strong>
        {r.from.name} ({r.from.address}) {v.label} {r.to.name ?? "address"} ({r.to.address})
      </strong>{" "}
      over {what}
      {r.rttMs !== null && ` · ${r.rttMs} ms`}
      <div className="muted">
        {r.detail} — a live probe sent from inside {r.from.name} on host {r.from.hostName} at {new Date(r.checkedAt).toLocaleTimeString()}
      </div>
    </div>
  );
}

/**
 * "Can A reach B?" from the data path: the agent on A's host sends a real packet from inside A.
 * (Answers from configuration, which rule allows or denies, come with connectivity policies.)
 */
export function ReachabilityCheck({ instances }: { instances: InstanceDto[] }) {
  const trpc = useTRPC();
  const [protocol, setProtocol] = useState<"icmp" | "tcp">("icmp");
  const [fromChoice, setFromChoice] = useState("");
  const [toChoice, setToChoice] = useState("");
  const check = useMutation(trpc.reachability.check.mutationOptions());
  const running = instances.filter((i) => i.status === "running");
  if (running.length === 0) return null;
  // defaults: the first running instance, towards the first other one
  const from = running.some((i) => i.id === fromChoice) ? fromChoice : running[0]!.id;
  const to = toChoice === "address" || instances.some((i) => i.id === toChoice && i.id !== from) ? toChoice : (instances.find((i) => i.id !== from)?.id ?? "address");
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const target = to === "address" ? { toAddress: formText(f, "toAddress") } : { toInstanceId: to };
    check.mutate({ instanceId: from, ...target, protocol, ...(protocol === "tcp" ? { port: Number(formText(f, "port")) } : {}) });
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Reachability check">
      <h2 style={{ marginTop: 0 }}>Can it reach…?</h2>
      <p className="muted">A live probe from inside one instance to another (or to any address), through the real VEBs and flows.</p>
      <div className="row">
        <label>
          From
          <select name="from" value={from} onChange={(e) => setFromChoice(e.target.value)}>
            {running.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name} ({i.address})
              </option>
            ))}
          </select>
        </label>
        <label>
          To
          <select name="to" value={to} onChange={(e) => setToChoice(e.target.value)}>
            {instances.filter((i) => i.id !== from).map((i) => (
              <option key={i.id} value={i.id}>
                {i.name} ({i.address})
              </option>
            ))}
            <option value="address">an address…</option>
          </select>
        </label>
        {to === "address" && (
          <label>
            Address
            <input name="toAddress" className="mono" required placeholder="10.0.1.7" />
          </label>
        )}
        <label>
          Protocol
          <select name="protocol" value={protocol} onChange={(e) => setProtocol(e.target.value as "icmp" | "tcp")}>
            <option value="icmp">ICMP (ping)</option>
            <option value="tcp">TCP</option>
          </select>
        </label>
        {protocol === "tcp" && (
          <label>
            Port
            <input name="port" type="number" min={1} max={65535} required defaultValue={443} list="port-presets" />
            <datalist id="port-presets">
              {PORT_PRESETS.map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>
          </label>
        )}
      </div>
      {check.error && <div className="alert" role="alert">{errorMessage(check.error)}</div>}
      {check.data && <ProbeVerdict r={check.data} />}
      <div className="row">
        <button className="primary" type="submit" disabled={check.isPending}>
          {check.isPending ? "Probing…" : "Check"}
        </button>
      </div>
    </form>
  );
}
