import { describe, expect, it } from "vitest";
import { main, parse } from "./cli.ts";
import { missingPrerequisites, prerequisitesProblem } from "./exec.ts";
import { agentEnv } from "./up.ts";
import { parseState, type LabState } from "./state.ts";

const sample: LabState = {
  version: 1,
  name: "nlab12",
  phase: "up",
  createdAt: "2026-11-26T12:00:00.000Z",
  runDir: "/run/nvi-lab/nlab12",
  controller: "tcp:198.18.3.1:6653",
  mgmt: { bridge: "nlab12-mg", subnet: "198.18.3.0/24", tscIp: "198.18.3.1" },
  router: { ns: "nlab12-rt" },
  datacenters: [
    {
      index: 1,
      id: "dc1",
      ns: "nlab12-dc1",
      subnet: "100.64.1.0/24",
      routerIp: "100.64.1.1",
      routerMac: "02:00:64:40:01:01",
    },
  ],
  hosts: [
    {
      id: "h1",
      index: 1,
      dc: 1,
      ns: "nlab12-h1",
      bridge: "veb0",
      datapathId: "00004e5649000001",
      fabricIp: "100.64.1.11",
      fabricPrefixLen: 24,
      fabricMac: "02:00:64:40:01:0b",
      nicMac: "06:00:64:40:01:0b",
      instanceBlock: "100.65.1.0/24",
      gatewayIp: "100.64.1.1",
      gatewayMac: "02:00:64:40:01:01",
      mgmtIp: "198.18.3.11",
      ovsDir: "/run/nvi-lab/nlab12/h1",
      pids: { ovsdb: 100, vswitchd: 101 },
    },
  ],
  instances: [
    {
      name: "a1",
      host: "h1",
      ns: "nlab12-i-a1",
      ip: "10.1.0.2",
      prefixLen: 24,
      gateway: "10.1.0.1",
      mac: "0a:00:00:00:00:01",
      port: "a1",
      ofport: 2,
      serverPid: 300,
      ports: { tcp: 7, udp: 7, http: 80 },
    },
  ],
};

describe("state file", () => {
  it("round-trips a lab state", () => {
    expect(parseState(JSON.stringify(sample))).toEqual(sample);
  });

  it("says which field is wrong", () => {
    const bad = { ...sample, hosts: [{ ...sample.hosts[0], fabricIp: "100.64.1.300" }] };
    expect(() => parseState(JSON.stringify(bad), "/x/state.json")).toThrow(
      /\/x\/state.json is not a lab state:\n {2}hosts.0.fabricIp/,
    );
  });

  it("refuses unknown fields, other versions and non-JSON", () => {
    expect(() => parseState(JSON.stringify({ ...sample, extra: 1 }))).toThrow(/not a lab state/);
    expect(() => parseState(JSON.stringify({ ...sample, version: 2 }))).toThrow(/version/);
    expect(() => parseState("{nope")).toThrow(/is not JSON/);
  });

  it("refuses a relative OVS directory (OVS_RUNDIR must be absolute)", () => {
    const bad = { ...sample, hosts: [{ ...sample.hosts[0], ovsDir: "run/h1" }] };
    expect(() => parseState(JSON.stringify(bad))).toThrow(/ovsDir/);
  });
});

describe("agent environment", () => {
  it("passes the variables the agent reads today plus the lab's facts and OVS paths", () => {
    const env = agentEnv(sample, sample.hosts[0]!);
    expect(env).toMatchObject({
      NVI_BRIDGE: "veb0",
      NVI_DATACENTER: "dc1",
      OVS_RUNDIR: "/run/nvi-lab/nlab12/h1",
      LAB_HOST_ID: "h1",
      LAB_FABRIC_IP: "100.64.1.11",
      LAB_TSC_IP: "198.18.3.1",
      LAB_CONTROLLER: "tcp:198.18.3.1:6653",
    });
    // the agent's env schema is strict over NVI_*: only names it knows may carry that prefix
    expect(
      Object.keys(env)
        .filter((k) => k.startsWith("NVI_"))
        .sort(),
    ).toEqual(["NVI_BRIDGE", "NVI_DATACENTER", "NVI_INSTANCE_BLOCK", "NVI_NETNS_PREFIX", "NVI_OVS_UNIXCTL"]);
    expect(env.NVI_OVS_UNIXCTL).toBe("/run/nvi-lab/nlab12/h1/ovs-vswitchd.ctl");
    expect(env.NVI_INSTANCE_BLOCK).toBe("100.65.1.0/24");
  });
});

describe("cli", () => {
  it("parses flags and refuses unknown ones", () => {
    expect(parse(["up", "--datacenters", "2", "--hosts-per-dc", "2"]).values).toMatchObject({
      datacenters: "2",
      "hosts-per-dc": "2",
    });
    expect(() => parse(["up", "--bogus"])).toThrow(/bogus/);
  });

  it("explains what is missing before touching the machine", async () => {
    await expect(main(["up", "--datacenters", "2"])).rejects.toThrow(/--hosts-per-dc is required/);
    await expect(main(["up", "--datacenters", "x", "--hosts-per-dc", "1"])).rejects.toThrow(/must be an integer/);
    await expect(main(["frobnicate"])).rejects.toThrow(/unknown command "frobnicate"/);
  });

  it("prints usage", async () => {
    const lines: string[] = [];
    await main(["--help"], (l) => lines.push(l));
    expect(lines.join("\n")).toMatch(/lab <command>/);
  });
});

describe("prerequisites", () => {
  it("names the missing binaries and the apt packages that ship them", () => {
    const missing = missingPrerequisites((f) => !f.endsWith("/ping") && !f.endsWith("/ovs-ofctl"));
    expect(missing.map((m) => m.bin)).toEqual(["ovs-ofctl", "ping"]);
    expect(prerequisitesProblem(missing, 0)).toBe(
      "the lab needs ovs-ofctl, ping: run apt-get install -y openvswitch-switch iputils-ping",
    );
    expect(prerequisitesProblem([], 1000)).toMatch(/needs root/);
    expect(prerequisitesProblem([], 0)).toBeNull();
  });
});
