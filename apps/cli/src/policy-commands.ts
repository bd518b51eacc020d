import { arg, need, num, query, UsageError, type ParsedArgs } from "./args.ts";
import type { Command } from "./command.ts";

/** `tier=web,env=prod` → { tier: "web", env: "prod" }. */
function labels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [k, v] = part.split("=", 2);
    if (!k || v === undefined) throw new UsageError(`labels are key=value pairs separated by commas (got "${part}")`);
    out[k] = v;
  }
  return out;
}

const opt = (a: ParsedArgs, f: string): string | undefined => (typeof a.flags[f] === "string" ? a.flags[f] : undefined);
const preview = (a: ParsedArgs) => ({ preview: a.flags.preview === true });

/** The protocol and ports a rule or a question is about: --tcp PORTS | --udp PORTS | --icmp (default: any). */
function service(a: ParsedArgs): { protocol: string; ports?: string } {
  if (opt(a, "tcp") !== undefined) return { protocol: "tcp", ports: opt(a, "tcp") };
  if (opt(a, "udp") !== undefined) return { protocol: "udp", ports: opt(a, "udp") };
  return { protocol: a.flags.icmp === true || a.flags.icmp === "true" ? "icmp" : "any" };
}

/** What a policy change answers: applied or previewed, and which pairs gain or lose what. */
function changeView(answer: unknown) {
  const r = answer as {
    applied: boolean;
    operationId: string | null;
    policyVersion: number;
    changes: { from: { name: string }; to: { name: string }; change: string; before: unknown[]; after: unknown[] }[];
  };
  const what = (s: unknown[]) =>
    s.length === 0
      ? "nothing"
      : s
          .map((x) => {
            const v = x as { protocol: string; ports: { from: number; to: number }[] };
            return v.ports.length
              ? `${v.protocol}/${v.ports.map((p) => (p.from === p.to ? p.from : `${p.from}-${p.to}`)).join(",")}`
              : v.protocol;
          })
          .join(" ");
  return {
    applied: r.applied ? `yes (policy version ${r.policyVersion}, operation ${r.operationId})` : "no (preview)",
    changes:
      r.changes.length === 0
        ? "none"
        : r.changes
            .map((c) => `${c.from.name} → ${c.to.name}: ${c.change} (${what(c.before)} ⇒ ${what(c.after)})`)
            .join("\n    "),
  };
}

const target = (a: ParsedArgs) =>
  typeof a.flags.to === "string" ? { toInstanceId: a.flags.to } : { toAddress: need(a, "address") };

export const POLICY_COMMANDS: Command[] = [
  {
    words: ["policy", "groups"],
    usage: "policy groups [--vpc VPC_ID]",
    summary: "groups of instances and who is in them",
    method: "GET",
    path: (a) => `/groups${query({ vpcId: opt(a, "vpc") })}`,
    columns: ["id", "name", "vpcId", "matchLabels", "memberIds", "effectiveMemberIds"],
  },
  {
    words: ["policy", "group-create"],
    usage: "policy group-create --vpc VPC_ID --name N [--labels k=v,…] [--members ID,…] [--preview]",
    summary: "a group: instances with these labels (none: every instance) and/or these members",
    method: "POST",
    path: () => "/groups",
    body: (a) => ({
      vpcId: need(a, "vpc"),
      name: need(a, "name"),
      matchLabels: opt(a, "labels") !== undefined ? labels(opt(a, "labels")!) : opt(a, "members") ? null : {},
      memberIds: opt(a, "members")?.split(",").filter(Boolean) ?? [],
      ...preview(a),
    }),
    pick: changeView,
  },
  {
    words: ["policy", "rules"],
    usage: "policy rules [--vpc VPC_ID]",
    summary: "allow rules (stateful: replies pass)",
    method: "GET",
    path: (a) => `/rules${query({ vpcId: opt(a, "vpc") })}`,
    columns: [
      "id",
      "srcGroupId",
      "srcVpcId",
      "dstGroupId",
      "protocol",
      "ports",
      "bidirectional",
      "enabled",
      "description",
    ],
  },
  {
    words: ["policy", "rule-create"],
    usage:
      "policy rule-create --from GROUP_ID --to GROUP_ID [--tcp PORTS | --udp PORTS | --icmp] [--two-way] [--description D] [--preview]",
    summary: "allow a group to open conversations to another (PORTS: 443 or 80,8000-8080)",
    method: "POST",
    path: () => "/rules",
    body: (a) => ({
      srcGroupId: need(a, "from"),
      dstGroupId: need(a, "to"),
      ...service(a),
      bidirectional: a.flags["two-way"] === true,
      description: opt(a, "description") ?? "",
      ...preview(a),
    }),
    pick: changeView,
  },
  {
    words: ["policy", "rule-delete"],
    usage: "policy rule-delete RULE_ID [--preview]",
    summary: "delete a rule (what it allowed is revoked at once)",
    method: "DELETE",
    path: (a) => `/rules/${arg(a, 0, "rule id")}${query({ preview: a.flags.preview === true ? "true" : undefined })}`,
    pick: changeView,
  },
  {
    words: ["vpcs", "set-dscp"],
    usage: "vpcs set-dscp VPC_ID --dscp 0-63 [--preview]",
    summary: "the DSCP the VPC's packets carry on the underlay (re-marked on every VEB)",
    method: "PUT",
    path: (a) => `/vpcs/${arg(a, 0, "VPC id")}/underlay-dscp`,
    body: (a) => {
      const dscp = num(a, "dscp");
      if (dscp === undefined) throw new UsageError("give --dscp, a number from 0 to 63");
      return { underlayDscp: dscp, ...preview(a) };
    },
    pick: changeView,
  },
  {
    words: ["policy", "matrix"],
    usage: "policy matrix VPC_ID",
    summary: "group × group: plugged, partial or unplugged",
    method: "GET",
    path: (a) => `/vpcs/${arg(a, 0, "vpc id")}/matrix`,
    pick: matrixView,
    columns: ["from", "to", "state", "rules", "deniedBy"],
  },
  ...(["plug", "unplug"] as const).map((verb): Command => ({
    words: ["policy", verb],
    usage: `policy ${verb} --from GROUP_ID --to GROUP_ID [--preview]`,
    summary:
      verb === "plug"
        ? "let a group open anything to another"
        : "cut a group from another: flows revoked on every VEB at once",
    method: "POST",
    path: () => `/policy/${verb}`,
    body: (a) => ({ srcGroupId: need(a, "from"), dstGroupId: need(a, "to"), ...preview(a) }),
    pick: changeView,
  })),
  {
    words: ["policy", "why"],
    usage: "policy why INSTANCE_ID (--to INSTANCE_ID | --address A) [--tcp PORT | --udp PORT | --icmp]",
    summary: "can it reach…, and why? answered from configuration (rules, deny list, peering)",
    method: "POST",
    path: (a) => `/instances/${arg(a, 0, "instance id")}/policy-check`,
    body: (a) => {
      const s = service(a);
      return {
        ...target(a),
        protocol: s.protocol,
        port: s.ports === undefined ? undefined : num({ ...a, flags: { p: s.ports } }, "p"),
      };
    },
    pick: (answer) => {
      const r = answer as {
        from: { name: string };
        to: { name: string | null; address: string };
        allowed: boolean;
        reason: string;
        policyVersion: number;
      };
      return {
        from: r.from.name,
        to: r.to.name ?? r.to.address,
        allowed: r.allowed,
        reason: r.reason,
        policyVersion: r.policyVersion,
      };
    },
  },
  {
    words: ["instances", "trace"],
    usage: "instances trace INSTANCE_ID (--to INSTANCE_ID | --address A) [--tcp PORT | --udp PORT]",
    summary: "would a packet pass? traced through the VEBs' installed flows (nothing sent)",
    method: "POST",
    path: (a) => `/instances/${arg(a, 0, "instance id")}/trace`,
    body: (a) => {
      const s = service(a);
      return {
        ...target(a),
        protocol: s.protocol === "any" ? "icmp" : s.protocol,
        port: s.ports === undefined ? undefined : num({ ...a, flags: { p: s.ports } }, "p"),
      };
    },
    pick: (answer) => {
      const r = answer as {
        verdict: string;
        summary: string;
        steps: { hostName: string; enters: string; hops: string[] }[];
      };
      return {
        verdict: r.verdict,
        summary: r.summary,
        ...Object.fromEntries(
          r.steps.map((s, i) => [
            `veb ${i + 1}`,
            `${s.hostName} (enters ${s.enters}):\n      ${s.hops.join("\n      ")}`,
          ]),
        ),
      };
    },
  },
  {
    words: ["instances", "labels"],
    usage: "instances labels INSTANCE_ID --set k=v,… [--preview]",
    summary: "replace an instance's labels (they decide label-matched groups)",
    method: "PUT",
    path: (a) => `/instances/${arg(a, 0, "instance id")}/labels`,
    body: (a) => ({ labels: labels(need(a, "set")), ...preview(a) }),
    pick: changeView,
  },
  {
    words: ["policy", "realization"],
    usage: "policy realization",
    summary: "per host: pair flows read back from the VEB, stale and missing (drift)",
    method: "GET",
    path: () => "/policy/realization",
    columns: ["hostName", "checkedAt", "policyVersion", "pairFlows", "stale", "missing"],
  },
];

function matrixView(answer: unknown) {
  const m = answer as {
    groups: { id: string; name: string }[];
    cells: { srcGroupId: string; dstGroupId: string; state: string; ruleIds: string[]; deniedBy: string[] }[];
  };
  const name = (id: string) => m.groups.find((g) => g.id === id)?.name ?? id;
  return m.cells.map((c) => ({
    from: name(c.srcGroupId),
    to: name(c.dstGroupId),
    state: c.state,
    rules: c.ruleIds,
    deniedBy: c.deniedBy,
  }));
}
