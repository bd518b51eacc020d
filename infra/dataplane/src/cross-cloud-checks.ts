import { InstanceState, ping, run, tcpProbe, udpProbe } from "@nvi/lab";
import { expect, it } from "vitest";
import type { DataplaneLab } from "./harness.ts";
import { httpWho } from "./probes.ts";

/**
 * The checks every path across two clouds must pass, for the intercloud tests' shared layout:
 * tenant A's a1 (dc1) and a2 (dc2), tenant B's b1 and b2 on the same addresses and hosts. Registers
 * its tests in the calling `describe`; `inst` answers the instances once `beforeAll` made them.
 */
export function itCarriesPairsAcross(inst: () => Record<string, InstanceState>): void {
  const ns = (name: string): string => inst()[name]!.ns;
  const ip = (name: string): string => inst()[name]!.ip;

  it("a1 → a2 across clouds: ping from the first echo, TCP, UDP and HTTP answered by a2, and back", async () => {
    expect((await ping(ns("a1"), ip("a2"), { count: 1, waitS: 3 })).ok).toBe(true);
    expect((await tcpProbe(ns("a1"), ip("a2"))).ok).toBe(true);
    expect((await udpProbe(ns("a1"), ip("a2"))).ok).toBe(true);
    expect(await httpWho(ns("a1"), ip("a2"))).toBe("instance a2");
    expect((await ping(ns("a2"), ip("a1"))).ok).toBe(true);
  });

  it("MTU 1500 end to end: a DF ping of 1472 bytes across clouds gets its answer", async () => {
    expect((await ping(ns("a1"), ip("a2"), { size: 1472, dontFragment: true, count: 2 })).ok).toBe(true);
  });

  it("tenant B on the same addresses and hosts reaches only its own instance; A still gets A's", async () => {
    expect(await httpWho(ns("b1"), ip("b2"))).toBe("instance b2");
    expect(await httpWho(ns("a1"), ip("a2"))).toBe("instance a2");
    expect(await httpWho(ns("b2"), ip("b1"))).toBe("instance b1");
  });
}

/** A little of everything across the clouds, both tenants and both ways (what the capture tests watch). */
export async function mixedTraffic(inst: Record<string, InstanceState>): Promise<void> {
  await ping(inst.a1!.ns, inst.a2!.ip, { count: 3 });
  await ping(inst.b1!.ns, inst.b2!.ip, { size: 1472, count: 2 });
  await tcpProbe(inst.a1!.ns, inst.a2!.ip);
  await udpProbe(inst.b2!.ns, inst.b1!.ip);
  await httpWho(inst.a2!.ns, inst.a1!.ip);
}

/** The shared layout's four instances (a1, b1 on h2 in dc1; a2, b2 on h4 in dc2), plugged into `lab`'s mapping. */
export async function plugTwoTenants(lab: DataplaneLab): Promise<Record<string, InstanceState>> {
  const A = { tenantId: "org_a", vpcId: "vpc_a" };
  const B = { tenantId: "org_b", vpcId: "vpc_b" };
  const plan: [string, string, string, typeof A][] = [
    ["a1", "h2", "10.30.0.2/24", A],
    ["a2", "h4", "10.30.0.3/24", A],
    ["b1", "h2", "10.30.0.2/24", B],
    ["b2", "h4", "10.30.0.3/24", B],
  ];
  const inst: Record<string, InstanceState> = {};
  for (const [name, host, ip, tenancy] of plan) inst[name] = await lab.instance({ name, host, ip }, tenancy);
  return inst;
}

/** Bytes a WireGuard interface in `ns` has carried so far, both ways, over all its peers. */
export async function wireguardBytes(ns: string, wgIf: string): Promise<number> {
  return (await run("ip", ["netns", "exec", ns, "wg", "show", wgIf, "transfer"]))
    .split("\n")
    .flatMap((l) => l.split("\t").slice(1).map(Number))
    .reduce((x, y) => x + y, 0);
}
