import { describe, expect, it } from "vitest";
import { HostGuards, MAX_REPORTED_UNGUARDED_PORTS, guardProblem, type HostGuards as Guards } from "./host-guards.ts";
import { HostFacts } from "./hosts.ts";

const plainFacts = {
  hostname: "h1",
  kernel: "6.1",
  cpus: 2,
  memoryMiB: 2048,
  ovsVersion: "3.1.0",
  runtimes: { docker: false, qemu: false, netns: true },
};
const held: Guards = {
  datapath: "netdev",
  ports: { guard: "nftables-ingress", plugged: 3, unguarded: 0, unguardedNames: [] },
  fabric: { state: "active", reason: null },
  checkedAt: "2026-12-05T20:00:00.000Z",
};
const ok = (v: unknown) => HostGuards.safeParse(v).success;

describe("the guards in the host facts (what keeps instances in their place)", () => {
  it("a held netdev or kernel-datapath report parses; older agents report none", () => {
    expect(HostFacts.parse({ ...plainFacts, guards: held }).guards).toEqual(held);
    const kernel = { ...held, datapath: "system", ports: { ...held.ports, guard: "kernel-datapath" } };
    expect(ok(kernel)).toBe(true);
    expect(HostFacts.parse(plainFacts).guards).toBeNull();
    expect(guardProblem(held)).toBeNull();
    expect(guardProblem(null)).toBeNull();
  });

  it("anything else a host sends is refused: unknown keys, impossible counts, long or odd names and reasons", () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `veth${i}`);
    for (const bad of [
      { ...held, extra: 1 },
      { ...held, ports: { ...held.ports, extra: true } },
      { ...held, fabric: { state: "active", reason: null, x: 1 } },
      { ...held, datapath: "dpdk" },
      // the guard must be the datapath's
      { ...held, ports: { ...held.ports, guard: "kernel-datapath" } },
      { ...held, ports: { ...held.ports, unguarded: 4 } },
      { ...held, ports: { ...held.ports, plugged: -1 } },
      { ...held, ports: { ...held.ports, plugged: 1.5 } },
      { ...held, ports: { ...held.ports, plugged: 10 ** 9, unguarded: 10 ** 9 } },
      { ...held, ports: { ...held.ports, unguarded: 1, unguardedNames: ["veth0", "veth1"] } },
      { ...held, ports: { ...held.ports, unguarded: 1, unguardedNames: ["a-very-long-interface-name"] } },
      { ...held, ports: { ...held.ports, unguarded: 1, unguardedNames: ['x"; drop'] } },
      {
        ...held,
        ports: {
          ...held.ports,
          plugged: 100,
          unguarded: 100,
          unguardedNames: names(MAX_REPORTED_UNGUARDED_PORTS + 1),
        },
      },
      { ...held, fabric: { state: "gone", reason: null } },
      { ...held, fabric: { state: "missing", reason: "x".repeat(301) } },
      { ...held, fabric: { state: "missing", reason: "nft:\u001b[31m" } },
      { ...held, checkedAt: "yesterday" },
      { ...held, checkedAt: undefined },
    ])
      expect(ok(bad), JSON.stringify(bad).slice(0, 120)).toBe(false);
    expect(HostFacts.safeParse({ ...plainFacts, guards: { ...held, extra: 1 } }).success).toBe(false);
  });

  it("says what needs attention: unguarded ports by name, a missing fabric chain; waiting for a block is no fault", () => {
    const ports = { ...held.ports, plugged: 40, unguarded: 20, unguardedNames: ["veth1", "tap2"] };
    expect(guardProblem({ ...held, ports })).toBe(
      "20 of 40 instance ports without their ingress guard (veth1, tap2, …): their instances can reach the host's own stack",
    );
    const missing = { ...held, fabric: { state: "missing" as const, reason: "no interface with ofport 1 on veb0" } };
    expect(guardProblem(missing)).toBe(
      "the fabric NIC's egress guard is missing (no interface with ofport 1 on veb0): instances' IP options may reach the underlay",
    );
    expect(guardProblem({ ...missing, ports })).toContain("; the fabric NIC's egress guard is missing");
    expect(guardProblem({ ...held, fabric: { state: "waiting-for-block", reason: "no block yet" } })).toBeNull();
  });
});
