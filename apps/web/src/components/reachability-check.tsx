"use client";

import { probeSourceProblem, type HostDto, type InstanceDto, type ReachabilityDto } from "@nvi/contracts";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formText } from "../lib/form.ts";
import { useTRPC } from "../trpc/client.tsx";
import { FormCard, InputField } from "./ui/form-card.tsx";
import { InstancePicker } from "./ui/instance-picker.tsx";
import { PortField, ProtocolSelect } from "./ui/protocol-port-fields.tsx";
import { formatTime } from "./ui/time.ts";
import { useFormSubmit } from "./ui/use-form-mutation.ts";

const PORT_PRESETS = [22, 80, 443, 5432, 6379] as const;
const PROBE_PROTOCOLS = ["icmp", "tcp"] as const;
const VERDICT: Record<ReachabilityDto["result"], { label: string; className: string }> = {
  open: { label: "reaches", className: "ok" },
  refused: { label: "reaches the host, but the port is closed on", className: "warn" },
  "no-answer": { label: "gets no answer from", className: "bad" },
};

export function ProbeVerdict({ r }: { r: ReachabilityDto }) {
  const v = VERDICT[r.result];
  const what = r.protocol === "icmp" ? "ping" : `tcp/${r.port}`;
  return (
    <div
      className={`alert ${v.className}`}
      role="status"
      data-testid="reachability-result"
      data-result={r.result}
      data-reachable={r.reachable}
    >
      <strong>
        {r.from.name} ({r.from.address}) {v.label} {r.to.name ?? "address"} ({r.to.address})
      </strong>{" "}
      over {what}
      {r.rttMs !== null && ` · ${r.rttMs} ms`}
      <div className="muted">
        {r.detail} — a live probe sent from inside {r.from.name} on host {r.from.hostName} at {formatTime(r.checkedAt)}
      </div>
    </div>
  );
}

/**
 * Why each instance can or cannot send a probe now (null: it can), from the hosts' reports of which
 * VM guests run qemu-guest-agent. Without the hosts (no clouds:read), VMs are offered and the
 * console's check says why one cannot send.
 */
export function useProbeSources(instances: readonly InstanceDto[]): Map<string, string | null> {
  const trpc = useTRPC();
  const hosts = useQuery({ ...trpc.host.list.queryOptions({}), retry: false });
  const byId = new Map<string, HostDto>((hosts.data ?? []).map((h) => [h.id, h]));
  return new Map(
    instances.map((i) => {
      const host = byId.get(i.hostId);
      return [i.id, probeSourceProblem(i, host ? (host.facts.images.qemuGuestAgent ?? []) : undefined)];
    }),
  );
}

/** The instances that are up but cannot send a probe, each with why (a booting VM, a guest without an agent). */
const notOffered = (instances: readonly InstanceDto[], problems: Map<string, string | null>): InstanceDto[] =>
  instances.filter((i) => (i.status === "running" || i.status === "starting") && (problems.get(i.id) ?? null) !== null);

function NotOffered({ held, problems }: { held: InstanceDto[]; problems: Map<string, string | null> }) {
  if (held.length === 0) return null;
  return (
    <ul className="muted" data-testid="probe-sources-not-offered" aria-label="Not offered as a probe source">
      {held.map((i) => (
        <li key={i.id} data-testid={`probe-source-problem-${i.name}`}>
          {i.name} is not offered as a source: {problems.get(i.id)}
        </li>
      ))}
    </ul>
  );
}

/**
 * "Can A reach B?" from the data path: the agent on A's host sends a real packet from inside A
 * (from inside a VM's guest through qemu-guest-agent).
 */
export function ReachabilityCheck({ instances }: { instances: InstanceDto[] }) {
  const trpc = useTRPC();
  const [protocol, setProtocol] = useState<(typeof PROBE_PROTOCOLS)[number]>("icmp");
  const [fromChoice, setFromChoice] = useState("");
  const [toChoice, setToChoice] = useState("");
  const check = useMutation(trpc.reachability.check.mutationOptions());
  const problems = useProbeSources(instances);
  const sources = instances.filter((i) => problems.get(i.id) === null);
  // defaults: the first instance that can send, towards the first other one
  const from = sources.some((i) => i.id === fromChoice) ? fromChoice : (sources[0]?.id ?? "");
  const to =
    toChoice === "address" || instances.some((i) => i.id === toChoice && i.id !== from)
      ? toChoice
      : (instances.find((i) => i.id !== from)?.id ?? "address");
  const { formProps } = useFormSubmit(
    (f) => ({
      instanceId: from,
      ...(to === "address" ? { toAddress: formText(f, "toAddress") } : { toInstanceId: to }),
      protocol,
      ...(protocol === "tcp" ? { port: Number(formText(f, "port")) } : {}),
    }),
    (input) => check.mutate(input),
  );
  const held = notOffered(instances, problems);
  if (sources.length === 0 && held.length === 0) return null;
  if (sources.length === 0)
    return (
      <section className="card" aria-label="Reachability check">
        <h2 style={{ marginTop: 0 }}>Can it reach…?</h2>
        <p className="muted">No instance can send a probe yet.</p>
        <NotOffered held={held} problems={problems} />
      </section>
    );
  return (
    <FormCard
      title="Can it reach…?"
      label="Reachability check"
      form={{ formProps, error: check.error, pending: check.isPending }}
      after={check.data && <ProbeVerdict r={check.data} />}
      submit={check.isPending ? "Probing…" : "Check"}
    >
      <p className="muted">
        A live probe from inside one instance to another (or to any address), through the real VEBs and flows. It is
        sent from a running namespace or container, or from inside a VM whose guest runs qemu-guest-agent.
      </p>
      <NotOffered held={held} problems={problems} />
      <div className="row">
        <InstancePicker label="From" name="from" instances={sources} value={from} onChange={setFromChoice} />
        <InstancePicker
          label="To"
          name="to"
          instances={instances.filter((i) => i.id !== from)}
          value={to}
          onChange={setToChoice}
          extra={[{ value: "address", label: "an address…" }]}
        />
        {to === "address" && (
          <InputField label="Address" name="toAddress" className="mono" required placeholder="10.0.1.7" />
        )}
        <ProtocolSelect value={protocol} onChange={setProtocol} protocols={PROBE_PROTOCOLS} />
        <PortField protocol={protocol} defaultValue={443} presets={PORT_PRESETS} />
      </div>
    </FormCard>
  );
}
