import { MessageOf, NO_BUFFER, OpenFlowMessage, Port, SwitchSession } from "@nvi/openflow";
import { describe, expect, it } from "vitest";
import { l2LearningApp } from "./l2-learning-app.ts";
import { cookieKind } from "../tables.ts";

function frame(dst: string, src: string): Uint8Array {
  const b = new Uint8Array(60);
  b.set(
    dst.split(":").map((h) => parseInt(h, 16)),
    0,
  );
  b.set(
    src.split(":").map((h) => parseInt(h, 16)),
    6,
  );
  return b;
}
const pin = (inPort: number, dst: string, src: string): MessageOf<"packetIn"> => ({
  type: "packetIn",
  xid: 9,
  bufferId: NO_BUFFER,
  totalLen: 60,
  reason: 0,
  tableId: 0,
  cookie: 0n,
  match: { inPort },
  data: frame(dst, src),
});

describe("l2LearningApp", () => {
  it("floods to an unknown destination, then installs a flow and releases the packet once it is known", () => {
    const sent: OpenFlowMessage[] = [];
    const sw = { send: (m: OpenFlowMessage) => void sent.push(m) } as unknown as SwitchSession;
    const app = l2LearningApp({ idleTimeout: 30 });
    const A = "02:00:00:00:00:0a";
    const B = "02:00:00:00:00:0b";
    void app.onPacketIn?.(sw, pin(1, "ff:ff:ff:ff:ff:ff", A));
    expect(sent).toMatchObject([{ type: "packetOut", inPort: 1, actions: [{ type: "output", port: Port.FLOOD }] }]);
    sent.length = 0;
    void app.onPacketIn?.(sw, pin(2, A, B));
    expect(sent).toMatchObject([
      {
        type: "flowMod",
        command: "add",
        idleTimeout: 30,
        match: { inPort: 2, ethDst: A, ethSrc: B },
        instructions: [{ type: "applyActions", actions: [{ type: "output", port: 1 }] }],
      },
      { type: "packetOut", inPort: 2, actions: [{ type: "output", port: 1 }] },
    ]);
    const fm = sent[0] as MessageOf<"flowMod">;
    expect(cookieKind(fm.cookie)).toBe("REACTIVE");
  });

  it("ignores runt frames", () => {
    const sent: OpenFlowMessage[] = [];
    const sw = { send: (m: OpenFlowMessage) => void sent.push(m) } as unknown as SwitchSession;
    void l2LearningApp().onPacketIn?.(sw, {
      ...pin(1, "ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01"),
      data: new Uint8Array(10),
    });
    expect(sent).toEqual([]);
  });
});
