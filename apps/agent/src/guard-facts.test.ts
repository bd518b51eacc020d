import { HostGuards } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { guardedDevices, readGuardFacts } from "./guard-facts.ts";
import type { Runner } from "./runner.ts";

/** What `nft list table netdev nvi_ports` printed on this machine (nftables 1.0.6, kernel 6.18) for two guarded ports. */
const guardedListing = (ports: string[]) =>
  `table netdev nvi_ports {\n${ports
    .map((p) => `\tchain in_${p} {\n\t\ttype filter hook ingress device "${p}" priority -500; policy drop;\n\t}\n`)
    .join("\n")}}\n`;

/** A VEB as ovs-vsctl shows it: its datapath and ports (instance ports carry external_ids:nvi-instance), and nft's table. */
function host(o: { datapath: "netdev" | "system"; ports: Record<string, string | null>; nft: string | null }): Runner {
  return (cmd, args) => {
    if (cmd === "ovs-vsctl" && args[0] === "get" && args[1] === "bridge") return Promise.resolve(`${o.datapath}\n`);
    if (cmd === "ovs-vsctl" && args[0] === "list-ports") return Promise.resolve(Object.keys(o.ports).join("\n") + "\n");
    if (cmd === "ovs-vsctl" && args[0] === "get" && args[1] === "interface") {
      const id = o.ports[args[2] ?? ""];
      return Promise.resolve(
        id ? `{attached-mac="0a:00:00:00:00:01", nvi-instance=${id}, nvi-ip="10.0.0.2"}\n` : "{}\n",
      );
    }
    if (cmd === "nft" && args.join(" ") === "list table netdev nvi_ports")
      return o.nft === null ? Promise.reject(new Error("Error: No such file or directory")) : Promise.resolve(o.nft);
    return Promise.reject(new Error(`unexpected ${cmd} ${args.join(" ")}`));
  };
}
const at = new Date("2026-12-05T20:00:00Z");
const active = { ok: true as const, nic: "fab0", instanceBlock: "100.96.3.0/24" };

describe("the guards the agent reports with its facts", () => {
  it("every instance port of a netdev VEB with its drop chain, the fabric chain in place: all held, and valid facts", async () => {
    const run = host({
      datapath: "netdev",
      ports: { fab0: null, "nvi-v1": "inst_1", "nvi-t2": "inst_2" },
      nft: guardedListing(["nvi-v1", "nvi-t2"]),
    });
    const guards = await readGuardFacts(run, "veb0", active, at);
    expect(guards).toEqual({
      datapath: "netdev",
      ports: { guard: "nftables-ingress", plugged: 2, unguarded: 0, unguardedNames: [] },
      fabric: { state: "active", reason: null },
      checkedAt: "2026-12-05T20:00:00.000Z",
    });
    expect(HostGuards.safeParse(guards).success).toBe(true);
  });

  it("a port whose chain is gone, accepts, or holds a rule counts as unguarded; a flushed ruleset leaves none guarded", async () => {
    const tampered =
      guardedListing(["nvi-v1"]) +
      'table netdev nvi_ports {\n\tchain in_nvi-t2 {\n\t\ttype filter hook ingress device "nvi-t2" priority -500; policy accept;\n\t}\n' +
      '\tchain in_nvi-v3 {\n\t\ttype filter hook ingress device "nvi-v3" priority -500; policy drop;\n\t\tmeta l4proto udp accept\n\t}\n}\n';
    expect([...guardedDevices(tampered)]).toEqual(["nvi-v1"]);
    const ports = { fab0: null, "nvi-v1": "inst_1", "nvi-t2": "inst_2", "nvi-v3": "inst_3", "nvi-v4": "inst_4" };
    const some = await readGuardFacts(host({ datapath: "netdev", ports, nft: tampered }), "veb0", active, at);
    expect(some.ports).toEqual({
      guard: "nftables-ingress",
      plugged: 4,
      unguarded: 3,
      unguardedNames: ["nvi-t2", "nvi-v3", "nvi-v4"],
    });
    const flushed = await readGuardFacts(host({ datapath: "netdev", ports, nft: null }), "veb0", active, at);
    expect(flushed.ports.unguarded).toBe(4);
  });

  it("at most 16 unguarded ports by name, the count says the rest", async () => {
    const ports = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`nvi-v${i}`, `inst_${i}`]));
    const guards = await readGuardFacts(host({ datapath: "netdev", ports, nft: null }), "veb0", active, at);
    expect([guards.ports.unguarded, guards.ports.unguardedNames.length]).toEqual([40, 16]);
    expect(HostGuards.safeParse(guards).success).toBe(true);
  });

  it("the kernel datapath guards its ports itself; the fabric chain's state and reason come from its keeper", async () => {
    const run = host({ datapath: "system", ports: { "nvi-v1": "inst_1" }, nft: null });
    const missing = { ok: false as const, reason: "nft: Error: Could not process rule:\nNo such file or directory\n" };
    const guards = await readGuardFacts(run, "veb0", missing, at);
    expect(guards.ports).toEqual({ guard: "kernel-datapath", plugged: 1, unguarded: 0, unguardedNames: [] });
    expect(guards.fabric).toEqual({
      state: "missing",
      reason: "nft: Error: Could not process rule: No such file or directory ",
    });
    expect(HostGuards.safeParse(guards).success).toBe(true);
    const waiting = await readGuardFacts(run, "veb0", { ok: false, reason: "no block", waitingForBlock: true }, at);
    expect(waiting.fabric.state).toBe("waiting-for-block");
    expect((await readGuardFacts(run, "veb0", undefined, at)).fabric.state).toBe("waiting-for-block");
  });
});
