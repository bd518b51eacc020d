import { randomUUID } from "node:crypto";
import type { Command } from "./command.ts";
import { arg, need, num, query } from "./args.ts";
import { CONTAINER_COMMANDS, containerLaunchFields } from "./container-commands.ts";
import { GATEWAY_COMMANDS } from "./gateway-commands.ts";
import { POLICY_COMMANDS } from "./policy-commands.ts";
import { SSH_KEY_COMMANDS, vmGuestFlags } from "./ssh-key-commands.ts";

export type { Command };

export const COMMANDS: Command[] = [
  {
    words: ["whoami"],
    usage: "whoami",
    summary: "who the token is, its organization and scopes",
    method: "GET",
    path: () => "/me",
  },
  {
    words: ["tokens", "list"],
    usage: "tokens list",
    summary: "API tokens of the organization",
    method: "GET",
    path: () => "/tokens",
    columns: ["id", "name", "prefix", "scopes", "status", "expiresAt"],
  },
  {
    words: ["clouds", "list"],
    usage: "clouds list",
    summary: "clouds and their host counts",
    method: "GET",
    path: () => "/clouds",
    columns: ["id", "name", "kind", "region", "datacenter", "hostCount"],
  },
  {
    words: ["clouds", "create"],
    usage:
      "clouds create --name N --kind docker|vm|baremetal --region R --datacenter D [--interconnect routed|gateway]",
    summary: "register a cloud (gateway: it reaches other clouds across the internet through its gateway hosts)",
    method: "POST",
    path: () => "/clouds",
    body: (a) => ({
      name: need(a, "name"),
      kind: need(a, "kind"),
      region: need(a, "region"),
      datacenter: need(a, "datacenter"),
      ...(typeof a.flags.interconnect === "string" ? { interconnect: a.flags.interconnect } : {}),
    }),
  },
  {
    words: ["clouds", "delete"],
    usage: "clouds delete CLOUD_ID",
    summary: "delete an empty cloud",
    method: "DELETE",
    path: (a) => `/clouds/${arg(a, 0, "cloud id")}`,
  },
  {
    words: ["join-token", "create"],
    usage: "join-token create --cloud CLOUD_ID [--reusable] [--limit N] [--hours H]",
    summary: "a join string for `NVI_JOIN=… nvi-agent` (shown once)",
    method: "POST",
    path: (a) => `/clouds/${encodeURIComponent(need(a, "cloud"))}/join-tokens`,
    body: (a) => ({
      reusable: a.flags.reusable === true,
      usageLimit: num(a, "limit") ?? null,
      expiresInHours: num(a, "hours") ?? 24,
    }),
  },
  {
    words: ["hosts", "list"],
    usage: "hosts list [--cloud CLOUD_ID]",
    summary: "hosts with live status",
    method: "GET",
    path: (a) => `/hosts${query({ cloudId: typeof a.flags.cloud === "string" ? a.flags.cloud : undefined })}`,
    columns: [
      "id",
      "name",
      "status",
      "identity.fabricAddress",
      "identity.datapathId",
      "facts.ovsVersion",
      "lastSeenAt",
      "credentialRotationRequestedAt",
      "identityClaim.reason",
      "gatewayPublicAddress",
    ],
  },
  {
    words: ["hosts", "approve-identity"],
    usage: "hosts approve-identity HOST_ID",
    summary:
      "approve a host's refused identity claim (a re-installed machine); refused while another host holds any of its facts",
    method: "POST",
    path: (a) => `/hosts/${arg(a, 0, "host id")}/approve-identity`,
    body: () => ({}),
  },
  {
    words: ["hosts", "rotate-credential"],
    usage: "hosts rotate-credential HOST_ID",
    summary:
      "give a host's agent a new credential on its next heartbeat (the old one ends when the agent uses the new)",
    method: "POST",
    path: (a) => `/hosts/${arg(a, 0, "host id")}/rotate-credential`,
    body: () => ({}),
  },
  {
    words: ["hosts", "remove"],
    usage: "hosts remove HOST_ID",
    summary: "remove a host (its agent is refused)",
    method: "DELETE",
    path: (a) => `/hosts/${arg(a, 0, "host id")}`,
  },
  {
    words: ["vpcs", "list"],
    usage: "vpcs list",
    summary: "VPCs",
    method: "GET",
    path: () => "/vpcs",
    columns: ["id", "name", "cidr", "underlayDscp", "subnetCount", "createdAt"],
  },
  {
    words: ["vpcs", "create"],
    usage: "vpcs create --name N --cidr 10.0.0.0/16 [--allow-overlap] [--dscp 0-63]",
    summary: "create a VPC (--dscp: what its packets carry on the underlay, default 0)",
    method: "POST",
    path: () => "/vpcs",
    body: (a) => ({
      name: need(a, "name"),
      cidr: need(a, "cidr"),
      allowOverlap: a.flags["allow-overlap"] === true,
      underlayDscp: num(a, "dscp"),
    }),
  },
  {
    words: ["vpcs", "delete"],
    usage: "vpcs delete VPC_ID",
    summary: "delete a VPC with no address in use",
    method: "DELETE",
    path: (a) => `/vpcs/${arg(a, 0, "VPC id")}`,
  },
  {
    words: ["subnets", "list"],
    usage: "subnets list --vpc VPC_ID",
    summary: "subnets of a VPC",
    method: "GET",
    path: (a) => `/vpcs/${encodeURIComponent(need(a, "vpc"))}/subnets`,
    columns: ["id", "name", "cidr", "gateway", "cloudId", "addressesInUse"],
  },
  {
    words: ["subnets", "create"],
    usage: "subnets create --vpc VPC_ID --cloud CLOUD_ID --name N --cidr 10.0.1.0/24",
    summary: "place part of a VPC in a cloud",
    method: "POST",
    path: (a) => `/vpcs/${encodeURIComponent(need(a, "vpc"))}/subnets`,
    body: (a) => ({ cloudId: need(a, "cloud"), name: need(a, "name"), cidr: need(a, "cidr") }),
  },
  {
    words: ["subnets", "delete"],
    usage: "subnets delete SUBNET_ID",
    summary: "delete an empty subnet",
    method: "DELETE",
    path: (a) => `/subnets/${arg(a, 0, "subnet id")}`,
  },
  {
    words: ["instances", "list"],
    usage: "instances list [--vpc VPC_ID]",
    summary: "instances (not terminated) with status and address",
    method: "GET",
    path: (a) => `/instances${query({ vpcId: typeof a.flags.vpc === "string" ? a.flags.vpc : undefined })}`,
    columns: ["id", "name", "status", "address", "hostName", "runtime", "statusReason"],
  },
  {
    words: ["instances", "counts"],
    usage: "instances counts [--vpc VPC_ID]",
    summary: "how many instances (not terminated) are in each state",
    method: "GET",
    path: (a) => `/instance-counts${query({ vpcId: typeof a.flags.vpc === "string" ? a.flags.vpc : undefined })}`,
    // one line per state, e.g. "total 12 / running 10 / stopped 2"
    human: (answer) => {
      const { total, byStatus } = answer as { total: number; byStatus: Record<string, number> };
      return { total, ...byStatus };
    },
  },
  {
    words: ["instances", "show"],
    usage: "instances show INSTANCE_ID",
    summary: "one instance",
    method: "GET",
    path: (a) => `/instances/${arg(a, 0, "instance id")}`,
  },
  {
    words: ["instances", "launch"],
    usage:
      "instances launch --name N --subnet SUBNET_ID [--runtime netns|docker|qemu] [--host HOST_ID] [--image I] [--cpus N] [--memory MIB] [--address A] [--env K=V]… [--command JSON_ARRAY | -- CMD ARG…] (containers) [--ssh-key ID,… --user-data FILE] (VMs)",
    summary: "launch an instance (a queued operation; see `operations show`)",
    method: "POST",
    path: () => "/instances",
    body: (a) => {
      const opt = (f: string) => (typeof a.flags[f] === "string" ? a.flags[f] : undefined);
      return {
        name: need(a, "name"),
        subnetId: need(a, "subnet"),
        runtime: opt("runtime") ?? "netns",
        hostId: opt("host"),
        image: opt("image"),
        cpus: num(a, "cpus") ?? 1,
        memoryMiB: num(a, "memory") ?? 256,
        address: opt("address"),
        ...containerLaunchFields(a),
        ...vmGuestFlags(a),
        // one key per invocation: a request the CLI sends again (after a 503) is the same launch
        idempotencyKey: `cli-${randomUUID()}`,
      };
    },
    pick: (answer) => {
      const { instance, operationId } = answer as { instance: Record<string, unknown>; operationId: string };
      return {
        id: instance.id,
        name: instance.name,
        status: instance.status,
        address: instance.address,
        host: instance.hostName,
        operationId,
      };
    },
  },
  {
    words: ["instances", "terminate"],
    usage: "instances terminate INSTANCE_ID",
    summary: "terminate an instance (address released)",
    method: "DELETE",
    path: (a) => `/instances/${arg(a, 0, "instance id")}`,
    pick: (answer) => ({ operationId: (answer as { operationId: string }).operationId }),
  },
  ...(["stop", "start", "restart"] as const).map((verb): Command => ({
    words: ["instances", verb],
    usage: `instances ${verb} INSTANCE_ID`,
    summary: {
      stop: "stop a running instance (it keeps its address)",
      start: "start a stopped instance",
      restart: "stop and start a running instance",
    }[verb],
    method: "POST",
    path: (a) => `/instances/${arg(a, 0, "instance id")}/${verb}`,
    body: () => ({}),
    pick: (answer) => {
      const { instance, operationId } = answer as { instance: Record<string, unknown>; operationId: string };
      return { id: instance.id, name: instance.name, status: instance.status, operationId };
    },
  })),
  {
    words: ["instances", "reach"],
    usage: "instances reach INSTANCE_ID (--to INSTANCE_ID | --address A) [--tcp PORT]",
    summary: "can it reach…? a live ping (or TCP connect) sent from inside the instance",
    method: "POST",
    path: (a) => `/instances/${arg(a, 0, "instance id")}/reachability`,
    body: (a) => {
      const to = typeof a.flags.to === "string" ? { toInstanceId: a.flags.to } : { toAddress: need(a, "address") };
      const port = num(a, "tcp");
      return { ...to, protocol: port === undefined ? "icmp" : "tcp", port };
    },
    pick: (answer) => {
      const r = answer as {
        from: { name: string };
        to: { address: string; name: string | null };
        protocol: string;
        port: number | null;
        result: string;
        rttMs: number | null;
        detail: string;
      };
      return {
        from: r.from.name,
        to: r.to.name ?? r.to.address,
        over: r.protocol === "icmp" ? "ping" : `tcp/${r.port}`,
        result: r.result,
        rttMs: r.rttMs,
        detail: r.detail,
      };
    },
  },
  {
    words: ["operations", "list"],
    usage: "operations list [--status queued|running|succeeded|failed|cancelled] [--target ID]",
    summary: "operations, newest first",
    method: "GET",
    path: (a) =>
      `/operations${query({ status: typeof a.flags.status === "string" ? a.flags.status : undefined, targetId: typeof a.flags.target === "string" ? a.flags.target : undefined })}`,
    columns: ["id", "kind", "status", "progress", "targetId", "error", "createdAt"],
  },
  {
    words: ["operations", "show"],
    usage: "operations show OPERATION_ID",
    summary: "one operation with its steps",
    method: "GET",
    path: (a) => `/operations/${arg(a, 0, "operation id")}`,
  },
  {
    words: ["operations", "retry"],
    usage: "operations retry OPERATION_ID",
    summary: "run a failed operation again",
    method: "POST",
    path: (a) => `/operations/${arg(a, 0, "operation id")}/retry`,
    body: () => ({}),
  },
  {
    words: ["operations", "cancel"],
    usage: "operations cancel OPERATION_ID",
    summary: "cancel a queued operation, or a running one at its next safe step (what it did is undone)",
    method: "POST",
    path: (a) => `/operations/${arg(a, 0, "operation id")}/cancel`,
    body: () => ({}),
  },
  {
    words: ["audit"],
    usage: "audit [--action PREFIX] [--limit N]",
    summary: "the audit log, newest first",
    method: "GET",
    path: (a) =>
      `/audit-events${query({ action: typeof a.flags.action === "string" ? a.flags.action : undefined, limit: num(a, "limit") ?? 20 })}`,
    columns: ["at", "actorLabel", "action", "targetType", "targetName", "targetId", "sourceIp"],
    pick: (answer) => (answer as { events: unknown }).events,
  },
  ...GATEWAY_COMMANDS,
  ...POLICY_COMMANDS,
  ...CONTAINER_COMMANDS,
  ...SSH_KEY_COMMANDS,
];

export const SWITCHES = new Set(["json", "reusable", "allow-overlap", "help", "preview", "two-way", "icmp", "none"]);

export function findCommand(words: readonly string[]): { command: Command; rest: number } | null {
  for (const command of COMMANDS) {
    if (command.words.every((w, i) => words[i] === w)) return { command, rest: command.words.length };
  }
  return null;
}
