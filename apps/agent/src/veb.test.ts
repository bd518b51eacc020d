import { describe, expect, it } from "vitest";
import { unplugPort, withUnixctl, type Runner } from "./veb.ts";

const FAIL = "<fails>";

function scripted(answers: Record<string, string>): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = (cmd, args) => {
    const line = [cmd, ...args].join(" ");
    calls.push(line);
    const hit = Object.entries(answers).find(([prefix]) => line.startsWith(prefix));
    if (hit?.[1] === FAIL) return Promise.reject(new Error(`${cmd} failed`));
    return hit ? Promise.resolve(hit[1]) : Promise.resolve("");
  };
  return { run, calls };
}

describe("VEB plumbing", () => {
  it("unplugging a port also drops its guard chain and forgets its conntrack zone (the port number), after the port is gone", async () => {
    const { run, calls } = scripted({
      "ovs-vsctl --if-exists get interface nvi-abc ofport": "7\n",
      "nft list": "chain",
    });
    await unplugPort(withUnixctl(run, "/run/lab/h1/ovs-vswitchd.ctl"), "veb0", "nvi-abc");
    expect(calls).toEqual([
      "ovs-vsctl --if-exists get interface nvi-abc ofport",
      "ovs-vsctl --if-exists del-port veb0 nvi-abc",
      "nft list chain netdev nvi_ports in_nvi-abc",
      "nft delete chain netdev nvi_ports in_nvi-abc",
      "ovs-appctl -t /run/lab/h1/ovs-vswitchd.ctl dpctl/flush-conntrack zone=7",
    ]);
  });

  it("a port that is already gone is not an error, and no zone is flushed", async () => {
    const { run, calls } = scripted({ "nft list": FAIL });
    await unplugPort(run, "veb0", "nvi-gone");
    expect(calls).toEqual([
      "ovs-vsctl --if-exists get interface nvi-gone ofport",
      "ovs-vsctl --if-exists del-port veb0 nvi-gone",
      "nft list chain netdev nvi_ports in_nvi-gone",
    ]);
  });
});
