import { describe, expect, it } from "vitest";
import { ensureFabricGuard, FabricGuardKeeper, fabricGuardScript } from "./fabric-guard.ts";
import type { Runner } from "./runner.ts";

/** A host as the commands see it: OVS ports with their ofports and bridges, kernel links, nft. */
function host(o: {
  ports: Record<string, [number, string]>;
  links: string[];
  nftFails?: boolean;
  flushed?: () => boolean;
}) {
  const nft: string[] = [];
  const run: Runner = (cmd, args) => {
    if (cmd === "ovs-vsctl" && args[0] === "--bare") {
      const want = Number(args.at(-1)?.split("=")[1]);
      return Promise.resolve(
        Object.entries(o.ports)
          .filter(([, [ofport]]) => ofport === want)
          .map(([n]) => `${n}\n`)
          .join(""),
      );
    }
    if (cmd === "ovs-vsctl" && args[0] === "iface-to-br") {
      const p = o.ports[args[1] ?? ""];
      return p ? Promise.resolve(`${p[1]}\n`) : Promise.reject(new Error("no interface"));
    }
    if (cmd === "ip") return o.links.includes(args.at(-1) ?? "") ? Promise.resolve("") : Promise.reject(new Error("x"));
    if (cmd === "nft" && args[0] === "list")
      return nft.length > 0 && !o.flushed?.() ? Promise.resolve("") : Promise.reject(new Error("No such file"));
    if (cmd === "nft") {
      if (o.nftFails) return Promise.reject(new Error("Error: Could not process rule: No such file or directory\n"));
      nft.push(args.join(" "));
      return Promise.resolve("");
    }
    return Promise.reject(new Error(`unexpected ${cmd}`));
  };
  return { run, nft };
}

describe("fabric egress guard", () => {
  it("is one nft transaction: the table replaced by exactly the egress chain on the NIC, scoped to the block", () => {
    expect(fabricGuardScript({ nic: "fab0", instanceBlock: "100.65.3.0/24" })).toBe(
      [
        "table netdev nvi_fabric",
        "delete table netdev nvi_fabric",
        'table netdev nvi_fabric { chain fabric_out { type filter hook egress device "fab0" priority 0; policy accept;' +
          " ip saddr 100.65.3.0/24 ip hdrlength != 5 counter drop; }; }",
      ].join("\n"),
    );
    expect(() => fabricGuardScript({ nic: 'x"; flush ruleset', instanceBlock: "100.65.3.0/24" })).toThrow();
    expect(() => fabricGuardScript({ nic: "fab0", instanceBlock: "0.0.0.0/0; flush ruleset" })).toThrow();
  });

  it("finds the fabric NIC as the VEB's OpenFlow port 1 (not another bridge's)", async () => {
    const h = host({ ports: { other1: [1, "br-x"], eth1: [1, "veb0"], nvabc: [2, "veb0"] }, links: ["eth1"] });
    expect(await ensureFabricGuard(h.run, "veb0", "100.65.1.0/24")).toEqual({
      ok: true,
      nic: "eth1",
      instanceBlock: "100.65.1.0/24",
    });
    expect(h.nft).toHaveLength(1);
    expect(h.nft[0]).toContain('device "eth1"');
  });

  it("says why it is not in place: no block, no port 1, a NIC the kernel lacks, nft refusing", async () => {
    const ok = { ports: { fab0: [1, "veb0"] as [number, string] }, links: ["fab0"] };
    expect(await ensureFabricGuard(host(ok).run, "veb0", undefined)).toMatchObject({ ok: false, reason: /block/ });
    expect(await ensureFabricGuard(host({ ...ok, ports: {} }).run, "veb0", "100.65.1.0/24")).toMatchObject({
      ok: false,
      reason: /ofport 1/,
    });
    expect(await ensureFabricGuard(host({ ...ok, links: [] }).run, "veb0", "100.65.1.0/24")).toMatchObject({
      ok: false,
      reason: /not a kernel interface/,
    });
    expect(await ensureFabricGuard(host({ ...ok, nftFails: true }).run, "veb0", "100.65.1.0/24")).toMatchObject({
      ok: false,
      reason: /^nft: Error/,
    });
  });

  it("the keeper applies once, again when the NIC changes or the chain was flushed, and logs a failure at error level", async () => {
    const ports: Record<string, [number, string]> = { fab0: [1, "veb0"] };
    let flushed = false;
    const h = host({ ports, links: ["fab0", "fab1"], flushed: () => flushed });
    const logs: string[] = [];
    const keeper = new FabricGuardKeeper(h.run, "veb0", "100.65.1.0/24", (level, msg) => logs.push(`${level} ${msg}`));
    await keeper.keep();
    await keeper.keep();
    expect(h.nft).toHaveLength(1);
    flushed = true;
    await keeper.keep();
    flushed = false;
    expect(h.nft).toHaveLength(2);
    delete ports.fab0;
    ports.fab1 = [1, "veb0"];
    await keeper.keep();
    expect(h.nft).toHaveLength(3);
    delete ports.fab1;
    expect(await keeper.keep()).toMatchObject({ ok: false });
    await keeper.keep();
    expect(logs).toEqual([
      "info fabric egress guard in place",
      "info fabric egress guard in place",
      "info fabric egress guard in place",
      "error fabric egress guard NOT in place: instances' IP options may reach the underlay",
    ]);
  });
});
