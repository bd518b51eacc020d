import type { Runner } from "./runner.ts";

/** Where this host sits on the fabric, read from the machine (what the TSC needs to map to and from it). */
export interface FabricFacts {
  fabricAddress: string | null;
  fabricPrefixLen: number | null;
  fabricMac: string | null;
  /** MAC of the default route's next hop (the router towards other fabric segments) */
  nextHopMac: string | null;
  datapathId: string | null;
}

interface IpAddr {
  address?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

const json = async <T>(run: Runner, args: string[]): Promise<T | undefined> => {
  try {
    return JSON.parse(await run("ip", ["-j", ...args])) as T;
  } catch {
    return undefined;
  }
};

async function neighbourMac(run: Runner, ip: string): Promise<string | null> {
  const look = async (): Promise<string | null> =>
    (await json<{ lladdr?: string }[]>(run, ["neigh", "show", ip]))?.find((n) => n.lladdr)?.lladdr ?? null;
  const known = await look();
  if (known) return known;
  // not resolved yet: one ping to the router makes the kernel ask (the host's own traffic, outbound)
  await run("ping", ["-n", "-c", "1", "-W", "1", ip]).catch(() => undefined);
  return look();
}

/**
 * The fabric facts of the host: the VEB's address and MAC (the host stack lives on the bridge's
 * LOCAL port), the next hop's MAC and the datapath id. Anything missing is null, never guessed.
 */
export async function readFabricFacts(run: Runner, bridge: string): Promise<FabricFacts> {
  const link = (await json<IpAddr[]>(run, ["link", "show", "dev", bridge]))?.[0];
  const addr = (await json<IpAddr[]>(run, ["-4", "addr", "show", "dev", bridge]))?.[0]?.addr_info?.find(
    (a) => a.family === "inet",
  );
  const route = (await json<{ gateway?: string }[]>(run, ["-4", "route", "show", "default"]))?.find((r) => r.gateway);
  const datapathId = await run("ovs-vsctl", ["get", "bridge", bridge, "datapath_id"]).then(
    (s) => s.trim().replace(/^"(.*)"$/, "$1") || null,
    () => null,
  );
  return {
    fabricAddress: addr?.local ?? null,
    fabricPrefixLen: addr?.prefixlen ?? null,
    fabricMac: link?.address ?? null,
    nextHopMac: route?.gateway ? await neighbourMac(run, route.gateway) : null,
    datapathId: datapathId && /^[0-9a-f]{16}$/.test(datapathId) ? datapathId : null,
  };
}
