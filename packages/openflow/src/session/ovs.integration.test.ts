import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowMod, flowStatsRequest } from "../codec/builders.ts";
import type { FlowMod, MultipartReplyBody } from "../codec/messages.ts";
import {
  ControllerRole,
  CtState,
  ErrorType,
  FlowModFlags,
  GroupModCommand,
  GroupType,
  MeterFlags,
  MeterModCommand,
  Port,
} from "../constants.ts";
import { OvsLab, startOvsLab } from "../test-support/ovs-lab.ts";
import { OpenFlowServer } from "./server.ts";
import type { SwitchSession } from "./switch-session.ts";

/** Our encodings, judged by the real ovs-vswitchd: it must accept them and print back what we meant. */
let lab: OvsLab;
let server: OpenFlowServer;
let sw: SwitchSession;

beforeAll(async () => {
  lab = await startOvsLab({ hosts: 2 });
  let resolveReady: (s: SwitchSession) => void = () => undefined;
  const ready = new Promise<SwitchSession>((r) => (resolveReady = r));
  server = new OpenFlowServer({
    host: lab.controllerIp,
    port: 0,
    onSession: (s) => s.on("ready", () => resolveReady(s)),
  });
  const { port } = await server.listen();
  await lab.pointAt(port);
  sw = await ready;
}, 30_000);

afterAll(async () => {
  await server?.close();
  await lab?.cleanup();
}, 30_000);

const apply = (mods: FlowMod[]) => sw.sendWithBarrier(mods);
const dump = async (table: number) =>
  (await lab.ofctl("dump-flows", "br0", `table=${table}`)).split("\n").filter((l) => l.includes("priority"));

describe("OpenFlow 1.3 encodings accepted by Open vSwitch", () => {
  it("every OXM match field we model, masked where maskable", async () => {
    const mods = [
      flowMod({
        tableId: 10,
        priority: 1,
        match: {
          inPort: 1,
          metadata: 0x10n,
          metadataMask: 0xf0n,
          ethDst: "02:00:00:00:00:00",
          ethDstMask: "ff:ff:00:00:00:00",
          ethSrc: "02:00:00:00:00:01",
          ethType: 0x0800,
          vlanVid: 0x1000 | 10,
          ipDscp: 46,
          ipProto: 6,
          ipv4Src: "10.1.0.0",
          ipv4SrcMask: "255.255.0.0",
          ipv4Dst: "10.2.0.1",
          tcpSrc: 0x9c40,
          tcpSrcMask: 0xfff0,
          tcpDst: 443,
        },
      }),
      flowMod({ tableId: 10, priority: 2, match: { ethType: 0x0800, ipProto: 17, udpSrc: 53, udpDst: 5353 } }),
      flowMod({ tableId: 10, priority: 3, match: { ethType: 0x0800, ipProto: 1, icmpv4Type: 8, icmpv4Code: 0 } }),
      flowMod({
        tableId: 10,
        priority: 4,
        match: {
          ethType: 0x0806,
          arpOp: 1,
          arpSpa: "10.0.0.1",
          arpTpa: "10.0.0.0",
          arpTpaMask: "255.255.255.0",
          arpSha: "02:00:00:00:00:01",
          arpTha: "00:00:00:00:00:00",
        },
      }),
      flowMod({
        tableId: 10,
        priority: 5,
        match: {
          ethType: 0x86dd,
          ipv6Src: "fd00:0:0:0:0:0:0:1",
          ipv6Dst: "fd00:0:0:0:0:0:0:0",
          ipv6DstMask: "ffff:ffff:ffff:ffff:0:0:0:0",
        },
      }),
      flowMod({
        tableId: 10,
        priority: 6,
        match: { ctState: CtState.TRK | CtState.EST, ctStateMask: CtState.TRK | CtState.EST | CtState.INV, ctZone: 5 },
      }),
    ];
    expect(await apply(mods)).toEqual([]);
    const flows = (await dump(10)).join("\n");
    for (const s of [
      "metadata=0x10/0xf0",
      "dl_dst=02:00:00:00:00:00/ff:ff:00:00:00:00",
      "dl_vlan=10",
      "nw_tos=184",
      "nw_src=10.1.0.0/16",
      "tp_src=0x9c40/0xfff0",
      "tp_dst=443",
      "udp,tp_src=53,tp_dst=5353",
      "icmp_type=8",
      "arp_tpa=10.0.0.0/24",
      "ipv6_dst=fd00::/64",
      "ct_state=+est-inv+trk",
      "ct_zone=5",
    ]) {
      expect(flows).toContain(s);
    }
  });

  it("instructions and actions: set_field, push/pop VLAN, dec TTL, group, write-metadata, goto, meter, reserved ports", async () => {
    const meter = await sw.sendWithBarrier([
      {
        type: "meterMod",
        xid: 0,
        command: MeterModCommand.ADD,
        flags: MeterFlags.KBPS | MeterFlags.BURST,
        meterId: 7,
        bands: [{ type: "drop", rate: 10_000, burstSize: 1000 }],
      },
    ]);
    expect(meter).toEqual([]);
    const group = await sw.sendWithBarrier([
      {
        type: "groupMod",
        xid: 0,
        command: GroupModCommand.ADD,
        groupType: GroupType.ALL,
        groupId: 3,
        buckets: [
          { weight: 0, watchPort: Port.ANY, watchGroup: 0xffffffff, actions: [{ type: "output", port: 1 }] },
          { weight: 0, watchPort: Port.ANY, watchGroup: 0xffffffff, actions: [{ type: "output", port: 2 }] },
        ],
      },
    ]);
    expect(group).toEqual([]);
    expect(await lab.ofctl("dump-groups", "br0")).toMatch(
      /group_id=3,type=all,bucket=.*actions=output:1,bucket=.*actions=output:2/,
    );
    expect(await lab.ofctl("dump-meters", "br0")).toMatch(
      /meter=7 kbps burst bands=\s*type=drop rate=10000 burst_size=1000/,
    );
    expect(
      await apply([
        flowMod({
          tableId: 11,
          priority: 1,
          match: { ethType: 0x0800 },
          instructions: [
            { type: "meter", meterId: 7 },
            {
              type: "applyActions",
              actions: [
                { type: "pushVlan", ethertype: 0x8100 },
                { type: "setField", field: "vlanVid", value: 0x1000 | 20 },
                { type: "decNwTtl" },
                { type: "setField", field: "ipv4Dst", value: "10.9.9.9" },
                { type: "output", port: Port.CONTROLLER },
              ],
            },
            { type: "writeMetadata", metadata: 0xan, mask: 0xffn },
            { type: "gotoTable", tableId: 12 },
          ],
        }),
        flowMod({
          tableId: 12,
          priority: 1,
          match: { vlanVid: 0x1000 | 20 },
          instructions: [
            { type: "clearActions" },
            { type: "writeActions", actions: [{ type: "popVlan" }, { type: "group", groupId: 3 }] },
          ],
        }),
        flowMod({
          tableId: 12,
          priority: 2,
          match: { inPort: 2 },
          instructions: [
            {
              type: "applyActions",
              actions: [
                { type: "output", port: Port.IN_PORT },
                { type: "output", port: Port.LOCAL },
              ],
            },
          ],
        }),
      ]),
    ).toEqual([]);
    const t11 = (await dump(11)).join("\n");
    expect(t11).toContain(
      "meter:7,push_vlan:0x8100,set_field:4116->vlan_vid,dec_ttl,set_field:10.9.9.9->ip_dst,CONTROLLER:65535,write_metadata:0xa/0xff,goto_table:12",
    );
    const t12 = (await dump(12)).join("\n");
    expect(t12).toContain("clear_actions,write_actions(pop_vlan,group:3)");
    expect(t12).toContain("actions=IN_PORT,LOCAL");
  });

  it("the Nicira ct action with NAT, and ct_state matches", async () => {
    expect(
      await apply([
        flowMod({
          tableId: 20,
          priority: 1,
          match: { ethType: 0x0800, ipProto: 6, ctState: 0, ctStateMask: CtState.TRK },
          instructions: [
            {
              type: "applyActions",
              actions: [{ type: "ct", commit: false, force: false, zone: 5, table: 21, actions: [{ type: "nat" }] }],
            },
          ],
        }),
        flowMod({
          tableId: 21,
          priority: 1,
          match: {
            ethType: 0x0800,
            ipProto: 6,
            ctState: CtState.TRK | CtState.NEW,
            ctStateMask: CtState.TRK | CtState.NEW,
          },
          instructions: [
            {
              type: "applyActions",
              actions: [
                {
                  type: "ct",
                  commit: true,
                  force: false,
                  zone: 5,
                  table: 22,
                  actions: [{ type: "nat", kind: "src", ipv4Min: "192.168.100.1", protoMin: 20000, protoMax: 20255 }],
                },
              ],
            },
          ],
        }),
      ]),
    ).toEqual([]);
    expect((await dump(20)).join("\n")).toContain("ct(table=21,zone=5,nat)");
    expect((await dump(21)).join("\n")).toContain("ct(commit,table=22,zone=5,nat(src=192.168.100.1:20000-20255))");
  });

  it("flow-mod commands: modify(_strict), delete by cookie mask, delete_strict, and CHECK_OVERLAP errors", async () => {
    const out = (port: number) => [{ type: "applyActions" as const, actions: [{ type: "output" as const, port }] }];
    await apply([
      flowMod({ tableId: 30, priority: 5, cookie: 0xa1n, match: { inPort: 1 }, instructions: out(2) }),
      flowMod({ tableId: 30, priority: 6, cookie: 0xa2n, match: { inPort: 2 }, instructions: out(1) }),
      flowMod({ tableId: 30, priority: 7, cookie: 0xb1n, match: { inPort: 1, ethType: 0x0800 }, instructions: out(2) }),
    ]);
    expect(
      await apply([
        flowMod({
          tableId: 30,
          command: "modifyStrict",
          priority: 5,
          match: { inPort: 1 },
          instructions: out(Port.LOCAL),
        }),
      ]),
    ).toEqual([]);
    expect((await dump(30)).join("\n")).toMatch(/priority=5,in_port=1 actions=LOCAL/);
    expect(
      await apply([flowMod({ tableId: 30, command: "modify", match: { inPort: 2 }, instructions: out(Port.IN_PORT) })]),
    ).toEqual([]);
    expect((await dump(30)).join("\n")).toMatch(/priority=6,in_port=2 actions=IN_PORT/);
    const overlap = await apply([
      flowMod({
        tableId: 30,
        priority: 5,
        flags: FlowModFlags.CHECK_OVERLAP,
        match: { inPort: 1, ethSrc: "02:00:00:00:00:01" },
        instructions: out(2),
      }),
    ]);
    expect(overlap.map((e) => e.errorType)).toEqual([ErrorType.FLOW_MOD_FAILED]);
    await apply([flowMod({ tableId: 30, command: "delete", cookie: 0xa0n, cookieMask: 0xf0n })]);
    expect((await dump(30)).map((l) => /cookie=(0x[0-9a-f]+)/.exec(l)?.[1])).toEqual(["0xb1"]);
    await apply([
      flowMod({ tableId: 30, command: "deleteStrict", priority: 7, match: { inPort: 1, ethType: 0x0800 } }),
    ]);
    expect(await dump(30)).toEqual([]);
  });

  it("multipart stats, barrier and role requests", async () => {
    await apply([flowMod({ tableId: 40, priority: 9, cookie: 0x40n, match: { inPort: 1 } })]);
    const parts: MultipartReplyBody[] = await sw.multipart({ kind: "flowStats", ...flowStatsRequest({ tableId: 40 }) });
    expect(parts.flatMap((p) => (p.kind === "flowStats" ? p.flows.map((f) => f.cookie) : []))).toEqual([0x40n]);
    const agg = await sw.multipart({ kind: "aggregate", ...flowStatsRequest({ tableId: 40 }) });
    expect(agg[0]).toMatchObject({ kind: "aggregate", flowCount: 1 });
    const tables = await sw.multipart({ kind: "tableStats" });
    expect(tables[0]).toMatchObject({ kind: "tableStats" });
    const role = await sw.setRole(ControllerRole.MASTER, 1n);
    expect(role.role).toBe(ControllerRole.MASTER);
    await sw.barrier();
  });
});
