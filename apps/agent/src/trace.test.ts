import { describe, expect, it } from "vitest";
import { parseTrace, traceFlow } from "./trace.ts";

const forwarded = `Flow: icmp,in_port=3,vlan_tci=0x0000,dl_src=0a:11:22:33:44:55,dl_dst=02:4e:56:49:00:01,nw_src=10.40.1.2,nw_dst=10.40.2.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0

bridge("nvi0")
--------------
 0. ip,in_port=3,dl_src=0a:11:22:33:44:55,nw_src=10.40.1.2, priority 200, cookie 0x4e56010000000000
    goto_table:2
 2. ip,in_port=3,nw_src=10.40.1.2,nw_dst=10.40.2.2, priority 200, cookie 0x4e560512345678
    set_field:aa:bb:cc:00:00:01->eth_src
    set_field:100.65.2.3->ip_dst
    output:1

Final flow: icmp,in_port=3,vlan_tci=0x0000,dl_src=aa:bb:cc:00:00:01,dl_dst=aa:bb:cc:00:00:02,nw_src=100.65.1.3,nw_dst=100.65.2.3,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,icmp_type=8,icmp_code=0
Megaflow: recirc_id=0,eth,icmp,in_port=3,nw_src=10.40.1.2,nw_dst=10.40.2.2,nw_frag=no
Datapath actions: set(eth(src=aa:bb:cc:00:00:01,dst=aa:bb:cc:00:00:02)),set(ipv4(src=100.65.1.3,dst=100.65.2.3)),1
`;

const toController = `Flow: tcp,in_port=3,nw_src=10.40.1.2,nw_dst=10.40.2.2,tp_src=40000,tp_dst=80

bridge("nvi0")
--------------
 0. ip,in_port=3,dl_src=0a:11:22:33:44:55,nw_src=10.40.1.2, priority 200, cookie 0x4e56010000000000
    goto_table:2
 2. priority 0, cookie 0x4e56010000000000
    CONTROLLER:65535

Final flow: unchanged
Megaflow: recirc_id=0,eth,tcp,in_port=3,nw_frag=no
Datapath actions: userspace(pid=0,controller(reason=1,dont_send=0,continuation=0,recirc_id=1,rule_cookie=0x4e56010000000000,controller_id=0,max_len=65535))
`;

describe("ofproto/trace, read", () => {
  it("names each rule hit with its actions, the packet as it leaves, and the verdict", () => {
    const t = parseTrace(forwarded);
    expect(t.verdict).toBe("forwarded");
    expect(t.hops).toEqual([
      "table 0: ip,in_port=3,dl_src=0a:11:22:33:44:55,nw_src=10.40.1.2, priority 200, cookie 0x4e56010000000000 → goto_table:2",
      "table 2: ip,in_port=3,nw_src=10.40.1.2,nw_dst=10.40.2.2, priority 200, cookie 0x4e560512345678 → set_field:aa:bb:cc:00:00:01->eth_src, set_field:100.65.2.3->ip_dst, output:1",
    ]);
    expect(t.finalFlow).toContain("nw_dst=100.65.2.3");
  });

  it("a miss to the TSC, and a drop", () => {
    expect(parseTrace(toController).verdict).toBe("to-controller");
    const dropped = parseTrace(
      " 2. ip,in_port=3, priority 150, cookie 0x4e56060000000000\n    drop\n\nFinal flow: unchanged\nDatapath actions: drop\n",
    );
    expect(dropped).toMatchObject({ verdict: "dropped", finalFlow: null });
  });

  it("builds the flow from checked fields only", () => {
    expect(
      traceFlow({
        inPort: 3,
        srcMac: "0a:00:00:00:00:01",
        dstMac: "02:4e:56:49:00:01",
        srcIp: "10.0.0.2",
        dstIp: "10.0.0.3",
        protocol: "tcp",
        port: 443,
      }),
    ).toBe(
      "in_port=3,dl_src=0a:00:00:00:00:01,dl_dst=02:4e:56:49:00:01,tcp,tp_src=40000,tp_dst=443,nw_src=10.0.0.2,nw_dst=10.0.0.3,nw_ttl=64",
    );
  });
});
