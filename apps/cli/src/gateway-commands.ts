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

/** A cloud's gateway hosts (issue 15): any number per cloud, each a host of that cloud. */
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
