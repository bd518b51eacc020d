import { describe, expect, it } from "vitest";
import { guardPort, unguardPort } from "./port-guard.ts";
import { plugPort, type Runner } from "./veb.ts";

/** Records every command; `answers` maps a command prefix to its output, or to an Error it fails with. */
function recording(answers: Record<string, string | Error>): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = (cmd, args) => {
    const line = [cmd, ...args].join(" ");
    calls.push(line);
    const hit = Object.entries(answers).find(([prefix]) => line.startsWith(prefix))?.[1];
    return hit instanceof Error ? Promise.reject(hit) : Promise.resolve(hit ?? "");
  };
  return { run, calls };
}

const noChain = { "nft list chain": new Error("Error: No such file or directory") };
const SYSCTLS =
  "sysctl -q -w net.ipv6.conf.nv1.disable_ipv6=1 net.ipv4.conf.nv1.arp_ignore=8 net.ipv4.conf.nv1.rp_filter=1 net.ipv4.conf.nv1.forwarding=0";

describe("the port guard", () => {
  it("on a netdev bridge: no addresses, the sysctls, then an nft ingress chain that drops everything", async () => {
    const { run, calls } = recording({ ...noChain, "ovs-vsctl get bridge veb0 datapath_type": "netdev\n" });
    expect(await guardPort(run, "veb0", "nv1")).toEqual({ chain: true });
    expect(calls).toEqual([
      "ip addr flush dev nv1",
      SYSCTLS,
      "ovs-vsctl get bridge veb0 datapath_type",
      "nft add table netdev nvi_ports",
      'nft add chain netdev nvi_ports in_nv1 { type filter hook ingress device "nv1" priority -500 ; policy drop ; }',
    ]);
  });

  it("a retried plug issues the same idempotent commands (nft add leaves an identical chain alone)", async () => {
    const first = recording({ "ovs-vsctl get bridge": '"netdev"\n' });
    await guardPort(first.run, "veb0", "nv1");
    const again = recording({ "ovs-vsctl get bridge": '"netdev"\n' });
    await guardPort(again.run, "veb0", "nv1");
    expect(again.calls).toEqual(first.calls);
  });

  it("on the kernel datapath (or the default one) no chain: it would drop frames before Open vSwitch", async () => {
    for (const type of ["system", '""']) {
      const { run, calls } = recording({ "ovs-vsctl get bridge": `${type}\n` });
      expect(await guardPort(run, "veb0", "nv1")).toEqual({ chain: false });
      expect(calls).toEqual(["ip addr flush dev nv1", SYSCTLS, "ovs-vsctl get bridge veb0 datapath_type"]);
    }
  });

  it("fails closed: without nft the port is taken down, not plugged, and the error names the package", async () => {
    const { run, calls } = recording({
      ...noChain,
      "ovs-vsctl get bridge": "netdev",
      "nft add": new Error("spawn nft ENOENT"),
    });
    const plug = plugPort(run, "veb0", { port: "nv1", instanceId: "inst_1", mac: "02:00:00:00:00:01", ip: "10.0.0.2" });
    await expect(plug).rejects.toThrow(/port nv1 .*apt-get install nftables/);
    expect(calls).toContain("ip link set nv1 down");
    expect(calls.some((c) => c.includes("add-port"))).toBe(false);
  });

  it("unguarding deletes the chain; a chain or device already gone is not an error", async () => {
    const present = recording({ "nft list chain": "table netdev nvi_ports { chain in_nv1 {} }" });
    await unguardPort(present.run, "nv1");
    expect(present.calls).toEqual([
      "nft list chain netdev nvi_ports in_nv1",
      "nft delete chain netdev nvi_ports in_nv1",
    ]);
    const gone = recording(noChain);
    await unguardPort(gone.run, "nv1");
    expect(gone.calls).toEqual(["nft list chain netdev nvi_ports in_nv1"]);
  });
});
