/**
 * Captures golden frames from a real ovs-vswitchd into src/fixtures/ovs-golden.json.
 * Run once (as root): pnpm --filter @nvi/openflow exec tsx src/test-support/capture-golden.ts
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { flowMod, flowStatsRequest } from "../codec/builders.ts";
import { decodeMessage } from "../codec/codec.ts";
import { FlowModFlags, Port } from "../constants.ts";
import { OpenFlowServer } from "../session/server.ts";
import type { SwitchSession } from "../session/switch-session.ts";
import { run, startOvsLab } from "./ovs-lab.ts";

const frames: Record<string, string> = {};
const wanted = new Set([
  "hello",
  "featuresReply",
  "packetIn",
  "flowRemoved",
  "portDesc",
  "flowStats",
  "aggregate",
  "tableStats",
  "desc",
  "portStatus",
]);

function record(frame: Buffer): void {
  const m = decodeMessage(frame);
  const key = m.type === "multipartReply" ? m.body.kind : m.type;
  if (wanted.has(key) && !(key in frames)) frames[key] = frame.toString("hex");
}

const lab = await startOvsLab({ hosts: 2 });
let session: SwitchSession | undefined;
const server = new OpenFlowServer({ host: lab.controllerIp, port: 0, tap: record, onSession: (s) => (session = s) });
try {
  const { port } = await server.listen();
  await lab.pointAt(port);
  for (let i = 0; i < 100 && session?.state !== "ready"; i++) await new Promise((r) => setTimeout(r, 50));
  if (!session || session.state !== "ready") throw new Error("switch never became ready");
  const s = session;
  await s.sendWithBarrier([
    flowMod({
      tableId: 0,
      priority: 0,
      instructions: [{ type: "applyActions", actions: [{ type: "output", port: Port.CONTROLLER }] }],
    }),
    flowMod({
      tableId: 0,
      priority: 100,
      cookie: 0x1234n,
      idleTimeout: 1,
      flags: FlowModFlags.SEND_FLOW_REM,
      match: { inPort: 1, ethType: 0x0800, ipv4Dst: "10.0.0.2" },
      instructions: [
        {
          type: "applyActions",
          actions: [
            { type: "setField", field: "ethDst", value: "02:00:00:00:00:02" },
            { type: "output", port: 2 },
          ],
        },
      ],
    }),
  ]);
  await s.multipart({ kind: "desc" });
  await s.multipart({ kind: "flowStats", ...flowStatsRequest() });
  await s.multipart({ kind: "aggregate", ...flowStatsRequest() });
  await s.multipart({ kind: "tableStats" });
  await lab.udpProbe(lab.hosts[0]!, lab.hosts[1]!.ip, 7, 300);
  for (let i = 0; i < 80 && !("flowRemoved" in frames); i++) await new Promise((r) => setTimeout(r, 100));
  await lab.vsctl("add-port", "br0", "extra0", "--", "set", "interface", "extra0", "type=internal");
  for (let i = 0; i < 40 && !("portStatus" in frames); i++) await new Promise((r) => setTimeout(r, 50));
  const version = (await run("ovs-vswitchd", ["--version"])).split("\n")[0] ?? "";
  const out = {
    note: `Captured by src/test-support/capture-golden.ts from ${version} (Debian, userspace netdev datapath, bridge protocols=OpenFlow13, 2 veth ports) on ${new Date().toISOString().slice(0, 10)}. Each value is one whole frame as the switch sent it.`,
    frames,
  };
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/ovs-golden.json");
  await writeFile(file, JSON.stringify(out, null, 2) + "\n");
  console.log(`wrote ${Object.keys(frames).join(", ")} to ${file}`);
} finally {
  await server.close();
  await lab.cleanup();
}
