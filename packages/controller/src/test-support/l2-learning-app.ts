import { bytesToMac, GROUP_ANY, MessageOf, NO_BUFFER, Port, SwitchSession } from "@nvi/openflow";
import type { ControllerApp } from "../app.ts";
import { cookieFor } from "../tables.ts";

/**
 * A minimal reactive app (the benchmark's "answering app", like cbench's L2 learning switch):
 * learn source MAC → port; if the destination is known, install a flow and release the packet,
 * otherwise flood it. Not the NVI data plane; it exists to measure the controller's own cost.
 */
export function l2LearningApp(options: { idleTimeout?: number; tableId?: number } = {}): ControllerApp {
  const tables = new WeakMap<SwitchSession, Map<string, number>>();
  const cookie = cookieFor("REACTIVE", 0);
  return {
    onPacketIn(sw: SwitchSession, m: MessageOf<"packetIn">): void {
      if (m.data.length < 14) return;
      let macs = tables.get(sw);
      if (!macs) tables.set(sw, (macs = new Map<string, number>()));
      const inPort = m.match.inPort ?? 0;
      const dst = bytesToMac(m.data, 0);
      const src = bytesToMac(m.data, 6);
      macs.set(src, inPort);
      const out = macs.get(dst);
      if (out === undefined) {
        sw.send({
          type: "packetOut",
          xid: m.xid,
          bufferId: m.bufferId,
          inPort,
          actions: [{ type: "output", port: Port.FLOOD }],
          data: m.bufferId === NO_BUFFER ? m.data : new Uint8Array(),
        });
        return;
      }
      sw.send({
        type: "flowMod",
        xid: m.xid,
        cookie,
        cookieMask: 0n,
        tableId: options.tableId ?? m.tableId,
        command: "add",
        idleTimeout: options.idleTimeout ?? 60,
        hardTimeout: 0,
        priority: 10,
        bufferId: m.bufferId,
        outPort: Port.ANY,
        outGroup: GROUP_ANY,
        flags: 0,
        match: { inPort, ethDst: dst, ethSrc: src },
        instructions: [{ type: "applyActions", actions: [{ type: "output", port: out }] }],
      });
      if (m.bufferId === NO_BUFFER)
        sw.send({
          type: "packetOut",
          xid: m.xid,
          bufferId: NO_BUFFER,
          inPort,
          actions: [{ type: "output", port: out }],
          data: m.data,
        });
    },
  };
}
