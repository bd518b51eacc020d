"use client";

import type { GroupDto, PeeringDto, PolicyProtocol } from "@nvi/contracts";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { formText } from "../../lib/form.ts";
import { SERVICE_PRESETS } from "../../lib/policy-text.ts";
import { useTRPC } from "../../trpc/client.tsx";
import type { PolicyChangeFlow } from "./policy-change.tsx";

/** The VPCs peered (actively) with this one: possible sources of a rule into it. */
export function peersOf(vpcId: string, peerings: PeeringDto[]): { vpcId: string; name: string }[] {
  return peerings
    .filter((p) => p.status === "active" && (p.requester.vpcId === vpcId || p.accepter.vpcId === vpcId))
    .map((p) => (p.requester.vpcId === vpcId ? { vpcId: p.accepter.vpcId, name: `${p.accepter.vpcName ?? p.accepter.vpcId} (${p.accepter.orgName})` } : { vpcId: p.requester.vpcId, name: `${p.requester.vpcName} (${p.requester.orgName})` }));
}

/**
 * A new allow rule: source group (or a whole peered VPC) → destination group, a service from the
 * presets or custom, one- or two-way. Preview first; the flow's panel applies it.
 */
export function RuleEditor({ vpcId, groups, peerings, flow, onCancel }: { vpcId: string; groups: GroupDto[]; peerings: PeeringDto[]; flow: PolicyChangeFlow; onCancel: () => void }) {
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
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const src = source.startsWith("g:") ? { srcGroupId: source.slice(2) } : { srcVpcId: source.slice(2) };
    const dstGroupId = formText(f, "dstGroupId");
    const input = {
      ...src,
      dstGroupId,
      protocol,
      ports: protocol === "tcp" || protocol === "udp" ? ports : "",
      bidirectional: !fromPeer && formText(f, "direction") === "two-way",
      enabled: f.get("enabled") === "on",
      description: formText(f, "description"),
    };
    const srcName = source.startsWith("g:") ? groups.find((g) => `g:${g.id}` === source)?.name : peers.find((p) => `v:${p.vpcId}` === source)?.name;
    const dstName = groups.find((g) => g.id === dstGroupId)?.name;
    flow.start(`Allow ${srcName ?? "?"} → ${dstName ?? "?"}`, (preview) => create.mutateAsync({ ...input, preview }));
  };
  const busy = flow.state?.phase === "previewing" || flow.state?.phase === "applying";
  return (
    <form className="card form" onSubmit={submit} aria-label="Rule editor">
      <h3 style={{ marginTop: 0 }}>New rule</h3>
      <div className="row">
        <label>
          From
          <select name="source" value={source} onChange={(e) => setSource(e.target.value)}>
            {groups.map((g) => (
              <option key={g.id} value={`g:${g.id}`}>
                group {g.name}
              </option>
            ))}
            {peers.map((p) => (
              <option key={p.vpcId} value={`v:${p.vpcId}`}>
                peered VPC {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          To
          <select name="dstGroupId" defaultValue={groups[1]?.id ?? groups[0]?.id}>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                group {g.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Service
          <select name="preset" value={preset} onChange={(e) => choosePreset(e.target.value)}>
            {SERVICE_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
            <option value="custom">Custom…</option>
          </select>
        </label>
        <label>
          Protocol
          <select name="protocol" value={protocol} onChange={(e) => (setProtocol(e.target.value as PolicyProtocol), setPreset("custom"))}>
            <option value="any">any</option>
            <option value="tcp">tcp</option>
            <option value="udp">udp</option>
            <option value="icmp">icmp</option>
          </select>
        </label>
        <label>
          Ports
          <input
            name="ports"
            className="mono"
            value={protocol === "tcp" || protocol === "udp" ? ports : ""}
            disabled={protocol !== "tcp" && protocol !== "udp"}
            onChange={(e) => (setPorts(e.target.value), setPreset("custom"))}
            placeholder="every port"
            title="443, 80,443 or 8000-8080; empty = every port"
          />
        </label>
        <label>
          Direction
          <select name="direction" defaultValue="one-way" disabled={fromPeer}>
            <option value="one-way">one-way (replies pass)</option>
            <option value="two-way">two-way</option>
          </select>
        </label>
      </div>
      <div className="row">
        <label style={{ flex: 1 }}>
          Description
          <input name="description" maxLength={200} placeholder="web servers read the database" />
        </label>
        <label className="inline">
          <input type="checkbox" name="enabled" defaultChecked /> enabled
        </label>
      </div>
      <div className="row">
        <button className="primary" type="submit" disabled={busy || groups.length === 0}>
          Preview
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
