import { CLOUD_LINK_MODES } from "@nvi/contracts";
import { arg, need, UsageError, type ParsedArgs } from "./args.ts";
import type { Command } from "./command.ts";

const NATS = ["none", "one-to-one", "port-rewriting"];

/** `--nat none|one-to-one|port-rewriting`, or nothing (the console's default). */
function nat(a: ParsedArgs): { nat?: string } {
  const value = a.flags.nat;
  if (value === undefined) return {};
  if (typeof value !== "string" || !NATS.includes(value)) throw new UsageError(`--nat: give one of ${NATS.join(", ")}`);
  return { nat: value };
}

type Gateway = Record<string, unknown> & { tunnels?: { state: string }[] };

/** The tunnels as "up of all" ("1/2"), in place of the list. */
function withTunnelsUp({ tunnels = [], ...g }: Gateway): Record<string, unknown> {
  return { ...g, tunnelsUp: `${tunnels.filter((t) => t.state === "encrypted").length}/${tunnels.length}` };
}

const LINK_MODES: readonly string[] = CLOUD_LINK_MODES;

/** The mode word after the two cloud ids: `encrypted` (WireGuard, the default) or `direct` (a trusted direct link). */
export function linkMode(a: ParsedArgs): string {
  const mode = a.positionals[2];
  if (mode === undefined || !LINK_MODES.includes(mode))
    throw new UsageError(
      `give the mode: encrypted (WireGuard between the gateways) or direct (a trusted direct link, not encrypted)${mode === undefined ? "" : `, not "${mode}"`}`,
    );
  return mode;
}

type Link = Record<string, unknown> & {
  a: { name: string };
  b: { name: string };
  tunnels?: { state: string }[];
};

/** A link as a person reads it: the clouds by name, the tunnels as "up of all" ("1/2"). */
function linkRow({ a, b, tunnels = [], ...l }: Link): Record<string, unknown> {
  return {
    a: a.name,
    b: b.name,
    ...l,
    tunnelsUp: `${tunnels.filter((t) => t.state === "encrypted").length}/${tunnels.length}`,
  };
}

/** A cloud's gateway hosts (issue 15): any number per cloud, each a host of that cloud; and the links between gateway clouds. */
export const GATEWAY_COMMANDS: Command[] = [
  {
    words: ["clouds", "gateways"],
    usage: "clouds gateways CLOUD_ID",
    summary: "a cloud's gateway hosts: public address, NAT, status, and how many of their tunnels are up",
    method: "GET",
    path: (a) => `/clouds/${arg(a, 0, "cloud id")}/gateways`,
    columns: ["hostId", "name", "publicAddress", "nat", "status", "tunnelsUp"],
    pick: (answer) => (answer as Gateway[]).map(withTunnelsUp),
  },
  {
    words: ["clouds", "add-gateway"],
    usage: "clouds add-gateway CLOUD_ID --host HOST_ID --public-address A [--nat none|one-to-one|port-rewriting]",
    summary:
      "make one of the cloud's hosts one more of its gateways, reached at public address A (on the host, or a NAT's)",
    method: "POST",
    path: (a) => `/clouds/${arg(a, 0, "cloud id")}/gateways`,
    body: (a) => ({ hostId: need(a, "host"), publicAddress: need(a, "public-address"), ...nat(a) }),
    pick: (answer) => withTunnelsUp(answer as Gateway),
  },
  {
    words: ["clouds", "remove-gateway"],
    usage: "clouds remove-gateway CLOUD_ID HOST_ID",
    summary: "the host is no longer one of the cloud's gateways (it stays in the cloud)",
    method: "DELETE",
    path: (a) => `/clouds/${arg(a, 0, "cloud id")}/gateways/${arg(a, 1, "host id")}`,
  },
  {
    words: ["clouds", "links"],
    usage: "clouds links",
    summary:
      "the links between gateway clouds: mode (encrypted / direct), state (encrypted, direct, down, no-gateway), round trip, path MTU",
    method: "GET",
    path: () => "/cloud-links",
    columns: ["a", "b", "mode", "state", "rttMs", "pathMtu", "tunnelsUp", "reason"],
    human: (answer) => (answer as Link[]).map(linkRow),
  },
  {
    words: ["clouds", "link-mode"],
    usage: "clouds link-mode CLOUD_ID PEER_CLOUD_ID encrypted|direct",
    summary:
      "how pairs between two gateway clouds cross: encrypted (WireGuard, the default) or direct (a trusted direct link for a private interconnect that routes each gateway's instance block to it: not encrypted)",
    method: "PUT",
    path: (a) => `/clouds/${arg(a, 0, "cloud id")}/links/${arg(a, 1, "peer cloud id")}`,
    body: (a) => ({ mode: linkMode(a) }),
    human: (answer) => linkRow(answer as Link),
  },
  {
    words: ["hosts", "set-gateway"],
    usage: "hosts set-gateway HOST_ID --public-address A [--nat none|one-to-one|port-rewriting] | --none",
    summary:
      "make a host its cloud's gateway, reached by other clouds' gateways at public address A (or, --none, no longer a gateway)",
    method: "POST",
    path: (a) => `/hosts/${arg(a, 0, "host id")}/gateway`,
    body: (a) =>
      a.flags.none === true ? { publicAddress: null } : { publicAddress: need(a, "public-address"), ...nat(a) },
  },
];
