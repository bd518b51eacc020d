import { labDown, labUp, ofctl, ovsEnv, restorePlumbing, run, type LabState } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFabricFacts } from "./fabric-facts.ts";
import { ensureFabricGuard } from "./fabric-guard.ts";
import { readGuardFacts } from "./guard-facts.ts";
import { ensureVeb, listBindings, plugPort, unplugPort, type Runner } from "./veb.ts";

/** A real host of the lab: its own namespace, ovsdb-server and ovs-vswitchd. */
let lab: LabState;
let inHost: Runner;
const name = `nva${Math.random().toString(36).slice(2, 6)}`;

beforeAll(async () => {
  lab = await labUp({ name, datacenters: 1, hostsPerDc: 1 });
  const host = lab.hosts[0]!;
  const env = Object.entries(ovsEnv(host.ovsDir)).map(([k, v]) => `${k}=${v}`);
  inHost = (cmd, args) => run("ip", ["netns", "exec", host.ns, "env", ...env, cmd, ...args]);
});
afterAll(async () => {
  if (lab) await labDown(lab.name, { force: true });
});

describe("the agent's VEB on a real Open vSwitch", () => {
  it("creates a missing bridge with fail_mode=secure, the controller and the reserved key ports", async () => {
    const facts = await ensureVeb(
      inHost,
      { bridge: "vebtest", controller: `tcp:${lab.mgmt.tscIp}:6653`, reservedPorts: "40000-40999" },
      "netdev",
    );
    expect(facts).toMatchObject({
      bridge: "vebtest",
      datapathType: "netdev",
      failMode: "secure",
      controller: `tcp:${lab.mgmt.tscIp}:6653`,
    });
    expect(facts.reservedPorts).toContain("40000-40999");
    // a restarted TSC is reached again within a second, not after Open vSwitch's 8 s backoff
    expect((await inHost("ovs-vsctl", ["get", "controller", "vebtest", "max_backoff"])).trim()).toBe("1000");
    expect(facts.datapathId).toMatch(/^[0-9a-f]{16}$/);
  });

  it("an agent restart (ensureVeb again) leaves installed flows alone", async () => {
    const host = lab.hosts[0]!;
    const bridge = host.bridge;
    const controller = `tcp:${lab.mgmt.tscIp}:6653`;
    await ensureVeb(inHost, { bridge, controller, reservedPorts: null }, "netdev");
    await ofctl(host.ovsDir, "add-flow", bridge, "table=0,priority=7,cookie=0x77,ip,nw_dst=10.9.9.9,actions=drop");
    const before = await ofctl(host.ovsDir, "dump-flows", bridge, "cookie=0x77/-1");
    expect(before).toContain("nw_dst=10.9.9.9");
    await ensureVeb(inHost, { bridge, controller, reservedPorts: null }, "netdev");
    expect(await ofctl(host.ovsDir, "dump-flows", bridge, "cookie=0x77/-1")).toContain("nw_dst=10.9.9.9");
  });

  it("reads the host's fabric facts from the VEB: address, MAC, next hop's MAC, datapath id", async () => {
    const host = lab.hosts[0]!;
    // setting a controller above flushed the VEB's flows: put the host back on the fabric first
    await restorePlumbing(lab.name);
    await run("ip", ["-n", host.ns, "neigh", "flush", "all"]);
    const facts = await readFabricFacts(inHost, host.bridge);
    expect(facts).toEqual({
      fabricAddress: host.fabricIp,
      fabricPrefixLen: host.fabricPrefixLen,
      fabricMac: host.fabricMac,
      nextHopMac: host.gatewayMac,
      datapathId: host.datapathId,
    });
    expect(await readFabricFacts(inHost, "nosuchbr")).toMatchObject({
      fabricAddress: null,
      fabricMac: null,
      datapathId: null,
    });
  });

  it("plugs and unplugs instance ports with their MAC and IP recorded", async () => {
    const host = lab.hosts[0]!;
    await run("ip", ["-n", host.ns, "link", "add", "nvitst0", "type", "veth", "peer", "name", "nvitst1"]);
    await plugPort(inHost, host.bridge, {
      port: "nvitst0",
      instanceId: "inst_0123456789ABCDEFGHij",
      mac: "02:00:0a:00:00:05",
      ip: "10.0.0.5",
    });
    await plugPort(inHost, host.bridge, {
      port: "nvitst0",
      instanceId: "inst_0123456789ABCDEFGHij",
      mac: "02:00:0a:00:00:05",
      ip: "10.0.0.5",
    });
    expect(await listBindings(inHost, host.bridge)).toContainEqual({
      port: "nvitst0",
      instanceId: "inst_0123456789ABCDEFGHij",
      mac: "02:00:0a:00:00:05",
      ip: "10.0.0.5",
    });
    await unplugPort(inHost, host.bridge, "nvitst0");
    await unplugPort(inHost, host.bridge, "nvitst0");
    expect((await listBindings(inHost, host.bridge)).map((b) => b.port)).not.toContain("nvitst0");
  });
});

describe("a plugged port on a real host", () => {
  it("keeps the host's own stack out of reach (nft ingress drop on netdev, sysctls), and unplug removes the chain", async () => {
    const host = lab.hosts[0]!;
    const peer = `${name}-pg`;
    const inPeer = (...args: string[]) => run("ip", ["-n", peer, ...args]);
    await run("ip", ["netns", "add", peer]);
    try {
      await run("ip", ["-n", host.ns, "link", "add", "nvpg0", "type", "veth", "peer", "name", "eth0", "netns", peer]);
      await inPeer("link", "set", "eth0", "up");
      await inPeer("addr", "add", "10.0.0.9/24", "dev", "eth0");
      await inPeer("route", "add", `${host.fabricIp}/32`, "dev", "eth0");
      await run("ip", ["-n", host.ns, "link", "set", "nvpg0", "up"]);
      const binding = {
        port: "nvpg0",
        instanceId: "inst_0123456789ABCDEFGHpg",
        mac: "02:00:0a:00:00:09",
        ip: "10.0.0.9",
      };
      await plugPort(inHost, host.bridge, binding);
      await plugPort(inHost, host.bridge, binding); // a retried plug
      expect(await inHost("nft", ["list", "chain", "netdev", "nvi_ports", "in_nvpg0"])).toMatch(
        /type filter hook ingress device "nvpg0" priority -500; policy drop;/,
      );
      expect(
        (await inHost("sysctl", ["-n", "net.ipv4.conf.nvpg0.rp_filter", "net.ipv4.conf.nvpg0.arp_ignore"])).split("\n"),
      ).toEqual(expect.arrayContaining(["1", "8"]));
      // ARP for the host's fabric address through the port: the host's kernel never answers
      await run("ip", ["netns", "exec", peer, "ping", "-c", "2", "-i", "0.2", "-W", "1", host.fabricIp]).catch(
        () => "",
      );
      expect(await inPeer("neigh", "show", host.fabricIp)).not.toContain("lladdr");
      await unplugPort(inHost, host.bridge, "nvpg0");
      await expect(inHost("nft", ["list", "chain", "netdev", "nvi_ports", "in_nvpg0"])).rejects.toThrow();
      // plugged again, then the device vanishes before the unplug: still no error, and the chain goes
      await plugPort(inHost, host.bridge, binding);
      await run("ip", ["-n", host.ns, "link", "del", "nvpg0"]);
      await unplugPort(inHost, host.bridge, "nvpg0");
      await expect(inHost("nft", ["list", "chain", "netdev", "nvi_ports", "in_nvpg0"])).rejects.toThrow();
    } finally {
      await run("ip", ["netns", "del", peer]).catch(() => undefined);
    }
  });
});

describe("the guards a real host reports (issue 16: the console shows them)", () => {
  it("a plugged port is counted guarded until its chain is taken away; the fabric chain is reported in place", async () => {
    const host = lab.hosts[0]!;
    await run("ip", ["-n", host.ns, "link", "add", "nvgf0", "type", "veth", "peer", "name", "nvgf1"]);
    try {
      await plugPort(inHost, host.bridge, {
        port: "nvgf0",
        instanceId: "inst_0123456789ABCDEFGHgf",
        mac: "02:00:0a:00:00:0b",
        ip: "10.0.0.11",
      });
      const fabric = await ensureFabricGuard(inHost, host.bridge, "100.65.250.0/24");
      const held = await readGuardFacts(inHost, host.bridge, fabric);
      expect(held).toMatchObject({
        datapath: "netdev",
        ports: { guard: "nftables-ingress", unguarded: 0, unguardedNames: [] },
        fabric: { state: "active", reason: null },
      });
      expect(held.ports.plugged).toBeGreaterThanOrEqual(1);
      // someone removes the chain (a firewall manager, by hand): the next report names the port
      await inHost("nft", ["delete", "chain", "netdev", "nvi_ports", "in_nvgf0"]);
      const gone = await readGuardFacts(inHost, host.bridge, fabric);
      expect(gone.ports).toMatchObject({ unguarded: 1, unguardedNames: ["nvgf0"] });
    } finally {
      await unplugPort(inHost, host.bridge, "nvgf0").catch(() => undefined);
      await run("ip", ["-n", host.ns, "link", "del", "nvgf0"]).catch(() => undefined);
      await inHost("nft", ["delete", "table", "netdev", "nvi_fabric"]).catch(() => undefined);
    }
  });
});
