/**
 * Codec micro-benchmark: FLOW_MOD with 6 set_field actions (encode, decode) and PACKET_IN decode.
 * Rates run in this process; allocation per message runs in a child whose young generation is big
 * enough that no GC happens during the measured loop (checked with a GC observer).
 *   node --import tsx bench/openflow/codec-bench.ts
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PerformanceObserver } from "node:perf_hooks";
import {
  decodeMessage,
  encodeInto,
  encodeMessage,
  flowMod,
  Writer,
  type OpenFlowMessage,
} from "../../packages/openflow/src/index.ts";

const fm: OpenFlowMessage = flowMod({
  tableId: 2,
  priority: 200,
  cookie: 0x4e56020000000007n,
  idleTimeout: 30,
  match: { inPort: 2, ethType: 0x0800, ipProto: 6, ipv4Src: "10.0.0.2", ipv4Dst: "10.0.0.3", tcpSrc: 40000 },
  instructions: [
    {
      type: "applyActions",
      actions: [
        { type: "setField", field: "ethSrc", value: "02:00:c0:a8:64:01" },
        { type: "setField", field: "ethDst", value: "02:00:c0:a8:64:02" },
        { type: "setField", field: "ipv4Src", value: "192.168.100.1" },
        { type: "setField", field: "ipv4Dst", value: "192.168.100.2" },
        { type: "setField", field: "tcpSrc", value: 20000 },
        { type: "setField", field: "ipDscp", value: 0 },
        { type: "output", port: 1 },
      ],
    },
  ],
});
const frame = new Uint8Array(128).fill(0xab);
const pin: OpenFlowMessage = {
  type: "packetIn",
  xid: 0,
  bufferId: 0xffffffff,
  totalLen: 128,
  reason: 0,
  tableId: 0,
  cookie: 0n,
  match: { inPort: 3 },
  data: frame,
};
const fmWire = encodeMessage(fm);
const pinWire = encodeMessage(pin);
const w = new Writer(1 << 20);

const cases: Record<string, () => void> = {
  "flow-mod encodeInto (reused writer)": () => {
    if (w.pos > (1 << 20) - 512) w.reset();
    encodeInto(w, fm);
  },
  "flow-mod encodeMessage (own Buffer)": () => void encodeMessage(fm),
  "flow-mod decode": () => void decodeMessage(fmWire),
  "packet-in decode (128 B frame)": () => void decodeMessage(pinWire),
};

function rate(fn: () => void, ms = 1500): number {
  for (let i = 0; i < 20_000; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
  }
  return (n / (performance.now() - t0)) * 1000;
}

async function bytesPerOp(fn: () => void, n = 20_000): Promise<{ bytes: number; gcs: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ["gc"] });
  const m0 = process.memoryUsage();
  for (let i = 0; i < n; i++) fn();
  const m1 = process.memoryUsage();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return { bytes: (m1.heapUsed - m0.heapUsed + (m1.arrayBuffers - m0.arrayBuffers)) / n, gcs };
}

if (process.argv.includes("--alloc")) {
  const out: Record<string, { bytes: number; gcs: number }> = {};
  for (const [name, fn] of Object.entries(cases)) {
    for (let i = 0; i < 20_000; i++) fn();
    w.reset();
    out[name] = await bytesPerOp(fn);
  }
  console.log(JSON.stringify(out));
} else {
  const alloc = JSON.parse(
    execFileSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--min-semi-space-size=256",
        "--max-semi-space-size=256",
        "--expose-gc",
        fileURLToPath(import.meta.url),
        "--alloc",
      ],
      { encoding: "utf8" },
    ),
  ) as Record<string, { bytes: number; gcs: number }>;
  console.log(`flow-mod with 6 set_field: ${fmWire.length} bytes on the wire; packet-in: ${pinWire.length} bytes`);
  console.log("case                                   ops/s        bytes allocated/op");
  for (const [name, fn] of Object.entries(cases)) {
    const r = rate(fn);
    w.reset();
    const a = alloc[name];
    console.log(
      `${name.padEnd(38)} ${Math.round(r).toLocaleString("en-US").padStart(10)}   ${a ? a.bytes.toFixed(0).padStart(6) : "?"}${a?.gcs ? ` (gc ran ${a.gcs}x: approximate)` : ""}`,
    );
  }
}
