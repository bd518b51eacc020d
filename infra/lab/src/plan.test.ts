import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  datapathIdFor,
  defaultInstanceMac,
  instanceNameProblem,
  labNameProblem,
  macProblem,
  mgmtSubnetFor,
  parseInstanceAddress,
  pickMgmtSlot,
  planLab,
  randomLabName,
  resolveController,
} from "./plan.ts";

describe("address plan", () => {
  const plan = planLab("nltest", 2, 2, 3);

  it("puts each datacenter on its own 100.64.d.0/24 with the router at .1", () => {
    expect(plan.datacenters.map((d) => [d.ns, d.subnet, d.routerIp])).toEqual([
      ["nltest-dc1", "100.64.1.0/24", "100.64.1.1"],
      ["nltest-dc2", "100.64.2.0/24", "100.64.2.1"],
    ]);
  });

  it("numbers hosts globally and addresses them inside their datacenter, gateway = their router leg", () => {
    expect(plan.hosts.map((h) => [h.id, h.dc, h.ns, h.fabricIp, h.gatewayIp, h.mgmtIp])).toEqual([
      ["h1", 1, "nltest-h1", "100.64.1.11", "100.64.1.1", "198.18.3.11"],
      ["h2", 1, "nltest-h2", "100.64.1.12", "100.64.1.1", "198.18.3.12"],
      ["h3", 2, "nltest-h3", "100.64.2.11", "100.64.2.1", "198.18.3.13"],
      ["h4", 2, "nltest-h4", "100.64.2.12", "100.64.2.1", "198.18.3.14"],
    ]);
    expect(plan.hosts.map((h) => h.gatewayMac)).toEqual([
      "02:00:64:40:01:01",
      "02:00:64:40:01:01",
      "02:00:64:40:02:01",
      "02:00:64:40:02:01",
    ]);
    expect(plan.datacenters.map((d) => d.routerMac)).toEqual(["02:00:64:40:01:01", "02:00:64:40:02:01"]);
    expect(plan.mgmt).toEqual({ bridge: "nltest-mg", subnet: "198.18.3.0/24", tscIp: "198.18.3.1" });
  });

  it("gives fixed datapath ids a test can address", () => {
    expect(plan.hosts.map((h) => h.datapathId)).toEqual([
      "00004e5649000001",
      "00004e5649000002",
      "00004e5649000003",
      "00004e5649000004",
    ]);
    expect(datapathIdFor(200)).toBe("00004e56490000c8");
  });

  it("never collides: names and addresses unique, root links fit in 15 chars, all prefixed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 0, max: 511 }),
        (dcs, per, slot) => {
          const p = planLab("abcdefgh", dcs, per, slot);
          const all = (f: (h: (typeof p.hosts)[number]) => string) => new Set(p.hosts.map(f)).size === p.hosts.length;
          expect(
            all((h) => h.fabricIp) &&
              all((h) => h.fabricMac) &&
              all((h) => h.nicMac) &&
              all((h) => h.mgmtIp) &&
              all((h) => h.ns) &&
              all((h) => h.datapathId),
          ).toBe(true);
          for (const h of p.hosts) {
            expect(h.mgmtRootIf.length).toBeLessThanOrEqual(15);
            expect(h.mgmtRootIf.startsWith("abcdefgh-")).toBe(true);
            expect(h.fabricMac).not.toBe(h.nicMac);
          }
          expect(p.mgmt.bridge.length).toBeLessThanOrEqual(15);
        },
      ),
    );
  });

  it("refuses bad sizes and names with a readable message", () => {
    expect(() => planLab("nltest", 0, 2, 0)).toThrow(/--datacenters must be 1..16/);
    expect(() => planLab("nltest", 2, 33, 0)).toThrow(/--hosts-per-dc must be 1..32/);
    expect(() => planLab("Bad-Name", 1, 1, 0)).toThrow(/lab name/);
    expect(labNameProblem("averyverylongname")).toMatch(/2-8 chars/);
    expect(labNameProblem(randomLabName())).toBeNull();
  });
});

describe("management subnet", () => {
  it("spans 198.18.0.0/15 and skips subnets already routed", () => {
    expect(mgmtSubnetFor(0).subnet).toBe("198.18.0.0/24");
    expect(mgmtSubnetFor(511).subnet).toBe("198.19.255.0/24");
    const first = pickMgmtSlot("nlab12", new Set());
    const next = pickMgmtSlot("nlab12", new Set([mgmtSubnetFor(first).subnet]));
    expect(next).toBe((first + 1) % 512);
    expect(() => mgmtSubnetFor(512)).toThrow();
  });
});

describe("instances", () => {
  it("derives the gateway from the subnet and refuses network, broadcast and gateway addresses", () => {
    expect(parseInstanceAddress("10.1.0.5/24")).toEqual({
      ip: "10.1.0.5",
      prefixLen: 24,
      gateway: "10.1.0.1",
      cidr: "10.1.0.5/24",
    });
    expect(parseInstanceAddress("10.1.2.130/25").gateway).toBe("10.1.2.129");
    expect(() => parseInstanceAddress("10.1.0.0/24")).toThrow(/network or broadcast/);
    expect(() => parseInstanceAddress("10.1.0.255/24")).toThrow(/network or broadcast/);
    expect(() => parseInstanceAddress("10.1.0.1/24")).toThrow(/gateway/);
    expect(() => parseInstanceAddress("10.1.0.300/24")).toThrow(/IPv4 CIDR/);
    expect(() => parseInstanceAddress("10.1.0.3")).toThrow(/IPv4 CIDR/);
  });

  it("makes stable, unicast, locally administered MACs", () => {
    const mac = defaultInstanceMac("nlab12", "web1");
    expect(mac).toBe(defaultInstanceMac("nlab12", "web1"));
    expect(mac).not.toBe(defaultInstanceMac("nlab12", "web2"));
    expect(macProblem(mac)).toBeNull();
    expect(macProblem("01:00:5e:00:00:01")).toMatch(/multicast/);
    expect(macProblem("0A:00:00:00:00:01")).toMatch(/lower case/);
  });

  it("limits instance names to OVS port names", () => {
    expect(instanceNameProblem("web-1")).toBeNull();
    expect(instanceNameProblem("a-very-long-name-x")).toMatch(/at most 15/);
    expect(instanceNameProblem("1abc")).not.toBeNull();
  });
});

describe("controller target", () => {
  it('replaces "mgmt" with the TSC address and passes other targets through', () => {
    expect(resolveController("tcp:mgmt:6653", "198.18.3.1")).toBe("tcp:198.18.3.1:6653");
    expect(resolveController("tcp:10.0.0.1:6633", "198.18.3.1")).toBe("tcp:10.0.0.1:6633");
    expect(resolveController(undefined, "198.18.3.1")).toBeUndefined();
    expect(() => resolveController("10.0.0.1:6653", "x")).toThrow(/tcp:ADDR:PORT/);
    expect(() => resolveController("tcp:mgmt:70000", "x")).toThrow(/tcp:ADDR:PORT/);
  });
});
