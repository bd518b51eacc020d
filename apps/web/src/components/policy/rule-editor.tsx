"use client";

import type { GroupDto, PeeringDto, PolicyProtocol } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { formText } from "../../lib/form.ts";
import { SERVICE_PRESETS } from "../../lib/policy-text.ts";
import { useTRPC } from "../../trpc/client.tsx";
import { FormCard, InputField, SelectField } from "../ui/form-card.tsx";
import { PortsField, ProtocolSelect } from "../ui/protocol-port-fields.tsx";
import { hasPorts, portsError } from "../ui/ports.ts";
import { problem, useFormSubmit } from "../ui/use-form-mutation.ts";
import type { PolicyChangeFlow } from "./policy-change.tsx";

const PROTOCOLS = ["any", "tcp", "udp", "icmp"] as const;
const DIRECTIONS = [
  { value: "one-way", label: "one-way (replies pass)" },
  { value: "two-way", label: "two-way" },
];

/** The VPCs peered (actively) with this one: possible sources of a rule into it. */
export function peersOf(vpcId: string, peerings: PeeringDto[]): { vpcId: string; name: string }[] {
  return peerings
    .filter((p) => p.status === "active" && (p.requester.vpcId === vpcId || p.accepter.vpcId === vpcId))
    .map((p) =>
      p.requester.vpcId === vpcId
        ? { vpcId: p.accepter.vpcId, name: `${p.accepter.vpcName ?? p.accepter.vpcId} (${p.accepter.orgName})` }
        : { vpcId: p.requester.vpcId, name: `${p.requester.vpcName} (${p.requester.orgName})` },
    );
}

/**
 * A new allow rule: source group (or a whole peered VPC) → destination group, a service from the
 * presets or custom, one- or two-way. Preview first; the flow's panel applies it.
 */
export function RuleEditor({
  vpcId,
  groups,
  peerings,
  flow,
  onCancel,
}: {
  vpcId: string;
  groups: GroupDto[];
  peerings: PeeringDto[];
  flow: PolicyChangeFlow;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const create = useMutation(trpc.rule.create.mutationOptions());
  const [preset, setPreset] = useState("http");
  const [protocol, setProtocol] = useState<PolicyProtocol>("tcp");
  const [ports, setPorts] = useState("80");
  const [source, setSource] = useState(groups[0] ? `g:${groups[0].id}` : "");
  const peers = peersOf(vpcId, peerings);
  const choosePreset = (id: string) => {
    setPreset(id);
    const p = SERVICE_PRESETS.find((x) => x.id === id);
    if (!p) return;
    setProtocol(p.protocol);
    setPorts(p.ports);
  };
  const fromPeer = source.startsWith("v:");
  const form = useFormSubmit(
    (f) => {
      const bad = portsError(protocol, ports);
      if (bad) return problem(bad);
      const src = source.startsWith("g:") ? { srcGroupId: source.slice(2) } : { srcVpcId: source.slice(2) };
      return {
        ...src,
        dstGroupId: formText(f, "dstGroupId"),
        protocol,
        ports: hasPorts(protocol) ? ports : "",
        bidirectional: !fromPeer && formText(f, "direction") === "two-way",
        enabled: f.get("enabled") === "on",
        description: formText(f, "description"),
      };
    },
    (input) => {
      const srcName = source.startsWith("g:")
        ? groups.find((g) => `g:${g.id}` === source)?.name
        : peers.find((p) => `v:${p.vpcId}` === source)?.name;
      const dstName = groups.find((g) => g.id === input.dstGroupId)?.name;
      flow.start(`Allow ${srcName ?? "?"} → ${dstName ?? "?"}`, ({ preview }) =>
        create.mutateAsync({ ...input, preview }),
      );
    },
  );
  return (
    <FormCard
      title="New rule"
      label="Rule editor"
      heading={3}
      form={form}
      submit="Preview"
      disabled={flow.busy || groups.length === 0}
      onCancel={onCancel}
    >
      <div className="row">
        <SelectField
          label="From"
          name="source"
          value={source}
          onChange={setSource}
          options={[
            ...groups.map((g) => ({ value: `g:${g.id}`, label: `group ${g.name}` })),
            ...peers.map((p) => ({ value: `v:${p.vpcId}`, label: `peered VPC ${p.name}` })),
          ]}
        />
        <SelectField
          label="To"
          name="dstGroupId"
          {...(groups.length ? { defaultValue: (groups[1] ?? groups[0])!.id } : {})}
          options={groups.map((g) => ({ value: g.id, label: `group ${g.name}` }))}
        />
        <SelectField
          label="Service"
          name="preset"
          value={preset}
          onChange={choosePreset}
          options={[
            ...SERVICE_PRESETS.map((p) => ({ value: p.id, label: p.label })),
            { value: "custom", label: "Custom…" },
          ]}
        />
        <ProtocolSelect
          value={protocol}
          onChange={(p) => (setProtocol(p), setPreset("custom"))}
          protocols={PROTOCOLS}
        />
        <PortsField protocol={protocol} value={ports} onChange={(p) => (setPorts(p), setPreset("custom"))} />
        <SelectField
          label="Direction"
          name="direction"
          defaultValue="one-way"
          disabled={fromPeer}
          options={DIRECTIONS}
        />
      </div>
      <div className="row">
        <InputField
          label="Description"
          grow
          name="description"
          maxLength={200}
          placeholder="web servers read the database"
        />
        <label className="inline">
          <input type="checkbox" name="enabled" defaultChecked /> enabled
        </label>
      </div>
    </FormCard>
  );
}
