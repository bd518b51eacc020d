/**
 * TSC heap per active conversation: a mapping with `pairs` pairs set up between 2 hosts, measured
 * with the GC forced before and after (run node with --expose-gc). The switches here only
 * acknowledge (this measures the controller's own bookkeeping, not a switch).
 */
import { Inventory, NviMapping, type Tsc } from "../../packages/controller/src/index.ts";

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

export async function conversationMemory(pairs: number): Promise<{ bytes: number }> {
  const side = Math.ceil(Math.sqrt(pairs));
  const inventory = new Inventory();
  for (const n of [1, 2]) {
    inventory.upsertHost({
      datapathId: BigInt(n),
      name: `h${n}`,
      datacenter: "dc1",
      fabricIp: `100.64.1.${10 + n}`,
      fabricPrefixLen: 24,
      fabricMac: `02:00:64:40:01:0${n}`,
      gatewayMac: "02:00:64:40:01:01",
      fabricPort: 1,
      instanceBlock: `100.65.${n}.0/20`,
    });
  }
  const mapping = new NviMapping({ inventory });
  const ack = { sendWithBarrier: () => Promise.resolve([]) };
  mapping.attach({
    switches: new Map([
      [1n, ack],
      [2n, ack],
    ]),
  } as unknown as Tsc);
  const hooks = mapping.tscOptions();
  hooks.beforeSync(1n, []);
  hooks.beforeSync(2n, []);
  const ends = [1, 2].map((n) =>
    Array.from({ length: side }, (_, i) => ({
      id: `h${n}e${i}`,
      tenantId: "t",
      vpcId: "v",
      datapathId: BigInt(n),
      port: 10 + i,
      mac: `0a:00:00:0${n}:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`,
      ipv4: `10.${n}.${i >> 8}.${(i & 0xff) + 1}`,
      gateway: "10.0.0.1",
    })),
  );
  for (const list of ends) for (const e of list) inventory.plug(e);
  gc();
  const before = process.memoryUsage().heapUsed;
  let made = 0;
  for (const a of ends[0] ?? []) {
    for (const b of ends[1] ?? []) {
      if (made++ >= pairs) break;
      await mapping.setupPair(a, b);
    }
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  if (mapping.stats().activePairs < pairs) throw new Error(`only ${mapping.stats().activePairs} pairs set up`);
  return { bytes: after - before };
}
