"use client";

import type { InstanceDto, PolicyExplanationDto, PolicyProtocol, RuleDto } from "@nvi/contracts";
import { describeServices } from "@nvi/policy";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { formText } from "../../lib/form.ts";
import { describeRuleService } from "../../lib/policy-text.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { ProbeVerdict, useProbeSources } from "../reachability-check.tsx";
import { ErrorAlert } from "../ui/error-alert.tsx";
import { InstancePicker } from "../ui/instance-picker.tsx";
import { hasPorts } from "../ui/ports.ts";
import { PortField, ProtocolSelect } from "../ui/protocol-port-fields.tsx";
import { useFormSubmit } from "../ui/use-form-mutation.ts";

const PROTOCOLS = ["any", "tcp", "udp", "icmp"] as const;
import { FlowTrace } from "./flow-trace.tsx";

function ConfigAnswer({ e, rules }: { e: PolicyExplanationDto; rules: RuleDto[] }) {
  const what = e.protocol === "any" ? "anything" : e.port === null ? e.protocol : `${e.protocol}/${e.port}`;
  return (
    <div
      className={`alert ${e.allowed ? "ok" : "bad"}`}
      role="status"
      data-testid="explain-result"
      data-allowed={e.allowed}
    >
      <strong>
        {e.allowed ? "Allowed" : "Denied"}: {e.from.name} → {e.to.name ?? e.to.address} ({what})
      </strong>
      <div data-testid="explain-reason">{e.reason}</div>
      {e.ruleIds.length > 0 && (
        <ul>
          {e.ruleIds.map((id) => {
            const r = rules.find((x) => x.id === id);
            return (
              <li key={id}>
                rule <span className="mono">{id}</span>
                {r && ` — ${describeRuleService(r)}${r.description ? `, "${r.description}"` : ""}`}
              </li>
            );
          })}
        </ul>
      )}
      <div className="muted">
        groups: {e.fromGroups.map((g) => g.name).join(", ") || "none"} →{" "}
        {e.toGroups.map((g) => g.name).join(", ") || "none"} · may open {describeServices(e.forward)}; the other way{" "}
        {describeServices(e.reverse)} · policy version {e.policyVersion}
      </div>
    </div>
  );
}

/**
 * "Can A reach B, and why?": the configuration's answer (which rule allows it, or what stops it)
 * beside the data path's (a live probe from inside A; on demand, a trace of the packet through the
 * VEBs' installed flows, nothing sent). `any` is probed with a ping; udp has no probe, only a trace.
 */
export function ExplainCheck({ instances, rules }: { instances: InstanceDto[]; rules: RuleDto[] }) {
  const trpc = useTRPC();
  const explain = useMutation(trpc.policy.explain.mutationOptions());
  const probe = useMutation(trpc.reachability.check.mutationOptions());
  const trace = useMutation(trpc.reachability.trace.mutationOptions());
  const [asked, setAsked] = useState<{ instanceId: string; toInstanceId: string; port: number | undefined } | null>(
    null,
  );
  const [protocol, setProtocol] = useState<PolicyProtocol>("tcp");
  const [fromChoice, setFromChoice] = useState("");
  const from = instances.some((i) => i.id === fromChoice) ? fromChoice : (instances[0]?.id ?? "");
  const fromInstance = instances.find((i) => i.id === from);
  const fromRunning = fromInstance?.status === "running";
  // a VM sends its probe through its guest agent: one without (or still booting) is traced, not probed
  const probeProblem = useProbeSources(instances).get(from) ?? null;
  const { formProps } = useFormSubmit(
    (f) => ({
      instanceId: from,
      toInstanceId: formText(f, "to"),
      port: hasPorts(protocol) ? Number(formText(f, "port")) : undefined,
    }),
    ({ instanceId, toInstanceId, port }) => {
      explain.mutate({ instanceId, toInstanceId, protocol, ...(port ? { port } : {}) });
      setAsked({ instanceId, toInstanceId, port });
      probe.reset();
      trace.reset();
      if (protocol === "udp" || probeProblem !== null) return;
      probe.mutate(
        protocol === "tcp"
          ? { instanceId, toInstanceId, protocol: "tcp", port: port ?? 0 }
          : { instanceId, toInstanceId, protocol: "icmp" },
      );
    },
  );
  if (instances.length < 2)
    return <p className="muted">Launch two instances in this VPC to ask whether one may reach the other.</p>;
  return (
    <form className="card form" aria-label="Can A reach B" {...formProps}>
      <h2 style={{ marginTop: 0 }}>Can A reach B, and why?</h2>
      <div className="row">
        <InstancePicker label="From" name="from" instances={instances} value={from} onChange={setFromChoice} />
        <InstancePicker label="To" name="to" instances={instances.filter((i) => i.id !== from)} />
        <ProtocolSelect value={protocol} onChange={setProtocol} protocols={PROTOCOLS} />
        <PortField protocol={protocol} defaultValue={80} />
        <button className="primary" type="submit" disabled={explain.isPending || probe.isPending}>
          Ask
        </button>
      </div>
      <div className="grid2">
        <div>
          <h3>Configuration</h3>
          <ErrorAlert error={explain.error} />
          {explain.data ? (
            <ConfigAnswer e={explain.data} rules={rules} />
          ) : (
            <p className="muted">
              {explain.isPending ? "Evaluating the policy…" : "What the rules, the deny list and peerings say."}
            </p>
          )}
        </div>
        <div>
          <h3>Data path</h3>
          <ErrorAlert error={probe.error} />
          {probe.data ? (
            <ProbeVerdict r={probe.data} />
          ) : (
            <p className="muted" data-testid="probe-idle">
              {probe.isPending
                ? "Probing from inside the instance…"
                : protocol === "udp"
                  ? "No live probe for udp: trace it through the flows instead."
                  : probeProblem !== null && fromInstance
                    ? `No live probe from ${fromInstance.name}: ${probeProblem}.`
                    : "A real packet from inside A, through the VEBs' actual flows."}
            </p>
          )}
          <ErrorAlert error={trace.error} />
          {trace.data && <FlowTrace t={trace.data} />}
          {asked && fromRunning && (
            <button
              type="button"
              data-testid="trace-flows"
              disabled={trace.isPending}
              onClick={() =>
                trace.mutate(
                  hasPorts(protocol)
                    ? {
                        instanceId: asked.instanceId,
                        toInstanceId: asked.toInstanceId,
                        protocol,
                        port: asked.port ?? 0,
                      }
                    : { instanceId: asked.instanceId, toInstanceId: asked.toInstanceId, protocol: "icmp" },
                )
              }
            >
              {trace.isPending ? "Tracing…" : "Trace it through the VEBs' flows"}
            </button>
          )}
        </div>
      </div>
    </form>
  );
}
