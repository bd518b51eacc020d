import { describe, expect, it } from "vitest";
import { DatapathId, FabricAddress, HostFacts, InstanceBlock, UnicastMac } from "./hosts.ts";

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown): boolean =>
  schema.safeParse(v).success;

const plainFacts = {
  hostname: "h1",
  kernel: "6.1",
  cpus: 2,
  memoryMiB: 2048,
  ovsVersion: null,
  runtimes: { docker: true, qemu: true, netns: true },
};

describe("host facts report what a host can launch (issue 17, bug 2)", () => {
  it("Docker images and VM guests, strictly: references and guest names only", () => {
    const facts = HostFacts.parse({
      ...plainFacts,
      images: { docker: ["local/busybox:latest", "registry.lab:5000/team/app:1.2"], qemu: ["nvi-busybox"] },
    });
    expect(facts.images).toEqual({
      docker: ["local/busybox:latest", "registry.lab:5000/team/app:1.2"],
      qemu: ["nvi-busybox"],
    });
    for (const bad of [
      { docker: ["--privileged"], qemu: [] },
      { docker: [], qemu: ["../../etc"] },
      { docker: [], qemu: [], extra: ["x"] },
      { docker: [], qemu: ["g"], qemuGuestAgent: ["../../etc"] },
      { docker: Array.from({ length: 201 }, (_, i) => `img${i}:latest`), qemu: [] },
    ])
      expect(ok(HostFacts, { ...plainFacts, images: bad }), JSON.stringify(bad).slice(0, 60)).toBe(false);
  });

  it("an older agent that reports no images is still understood", () => {
    expect(HostFacts.parse(plainFacts).images).toEqual({ docker: [], qemu: [] });
  });
});

describe("host facts are validated at the edge", () => {
  it("instance blocks are network-address CIDRs /16 to /29 outside reserved ranges", () => {
    for (const good of ["100.65.3.0/24", "10.0.0.0/16", "192.168.1.8/29"])
      expect(ok(InstanceBlock, good), good).toBe(true);
    for (const bad of [
      "not-a-cidr",
      "0.0.0.0/1",
      "10.0.0.0/8",
      "10.0.0.0/30",
      "10.0.0.1/24",
      "256.1.1.0/24",
      "127.0.0.0/24",
      "224.0.0.0/24",
      "010.0.0.0/24",
      "10.0.0.0/24 ",
    ])
      expect(ok(InstanceBlock, bad), bad).toBe(false);
  });

  it("fabric addresses are unicast dotted quads; MACs unicast and non-zero; datapath ids non-zero", () => {
    expect(ok(FabricAddress, "100.64.1.11")).toBe(true);
    for (const bad of [
      "1.2.3.4'); DELETE FROM hosts; --",
      "0.0.0.0",
      "255.255.255.255",
      "239.1.1.1",
      "127.0.0.1",
      "169.254.1.1",
      "1.2.3",
      "01.2.3.4",
    ])
      expect(ok(FabricAddress, bad), bad).toBe(false);
    expect(ok(UnicastMac, "02:00:64:40:01:0b")).toBe(true);
    for (const bad of ["01:00:5e:00:00:01", "00:00:00:00:00:00", "02:00:64:40:01:0B"])
      expect(ok(UnicastMac, bad), bad).toBe(false);
    expect(ok(DatapathId, "0000000000000001")).toBe(true);
    expect(ok(DatapathId, "0000000000000000")).toBe(false);
  });

  it("text facts refuse NUL and other control characters", () => {
    const base = {
      hostname: "h1",
      kernel: "6.1",
      cpus: 1,
      memoryMiB: 1,
      ovsVersion: null,
      runtimes: { docker: false, qemu: false, netns: true },
    };
    expect(ok(HostFacts, base)).toBe(true);
    expect(ok(HostFacts, { ...base, hostname: "h\u00001" })).toBe(false);
    expect(ok(HostFacts, { ...base, os: "Debian\n" })).toBe(false);
  });

  it("a newer agent's unknown top-level facts are dropped, while every known fact stays strictly checked", () => {
    const newer = HostFacts.safeParse({ ...plainFacts, hostname: "h9", batteryLevel: 88, nested: { deep: [1, 2] } });
    expect(newer.success).toBe(true);
    expect(newer.data?.hostname).toBe("h9");
    expect(newer.data && "batteryLevel" in newer.data).toBe(false);
    expect(newer.data && "nested" in newer.data).toBe(false);
    // beside an unknown key, a bad known fact is still refused, and nested objects stay strict
    expect(ok(HostFacts, { ...plainFacts, batteryLevel: 88, cpus: 0 })).toBe(false);
    expect(ok(HostFacts, { ...plainFacts, batteryLevel: 88, images: { docker: [], qemu: [], extra: ["x"] } })).toBe(
      false,
    );
  });
});

describe("a gateway's links with their measurements (issue 15)", () => {
  const withLinks = (gatewayLinks: unknown) => HostFacts.safeParse({ ...plainFacts, gatewayLinks }).success;
  const link = (over: Record<string, unknown> = {}) => ({
    peerAddress: "203.0.113.7",
    lastHandshakeAt: null,
    rxBytes: 0,
    txBytes: 0,
    ...over,
  });

  it("older agents' links (no measurements) and measured ones validate", () => {
    expect(withLinks([link()])).toBe(true);
    expect(
      withLinks([link({ rttMs: 0.8, tunnelMtu: 1500, pathMtu: 1500, measuredAt: "2026-12-05T12:00:00.000Z" })]),
    ).toBe(true);
    expect(withLinks([link({ rttMs: null, pathMtu: null })])).toBe(true);
    // the close watch's verdict (link-watch.ts)
    expect(withLinks([link({ up: false })])).toBe(true);
  });

  it("out-of-range measurements, a peer named twice and too many links are refused", () => {
    for (const bad of [
      { rttMs: -0.1 },
      { rttMs: 60_001 },
      { pathMtu: 67 },
      { pathMtu: 65_536 },
      { pathMtu: 1499.5 },
      { tunnelMtu: null },
      { measuredAt: "now" },
      { rxBytes: 2 ** 53 },
      { jitter: 1 },
      { up: "yes" },
    ])
      expect([bad, withLinks([link(bad)])]).toEqual([bad, false]);
    expect(withLinks([link(), link()])).toBe(false);
    const many = Array.from({ length: 1001 }, (_, i) =>
      link({ peerAddress: `100.64.${Math.floor(i / 250)}.${(i % 250) + 1}` }),
    );
    expect(withLinks(many)).toBe(false);
  });
});
