import { ofctl } from "@nvi/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstEcho, startFlood } from "./flood.ts";
import { DataplaneLab, startDataplaneLab } from "./harness.ts";

/**
 * Issue 14, a noisy neighbour: tenant N's instance on h1 floods brand-new conversations as fast as
 * it can while tenant Q opens 200 brand-new pairs from h1 to h2 (each to a fresh address). Q loses
 * no first packet; what N costs the switch and the TSC stays bounded. (Latency is measured by
 * bench/dataplane/noisy.ts, not asserted here.)
 */
const NOISY = { tenantId: "org_noisy", vpcId: "vpc_noisy" };
const QUIET = { tenantId: "org_quiet", vpcId: "vpc_quiet" };
const LEFT = 15;
const RIGHT = 14;
let lab: DataplaneLab;
let flooder = "";
let flooderPort = 0;
const left: string[] = [];
const right: string[] = [];

beforeAll(async () => {
  lab = await startDataplaneLab({ datacenters: 1, hostsPerDc: 2 });
  const f = await lab.instance({ host: "h1", name: "n1", ip: "10.40.0.2/24", server: false }, NOISY);
  flooder = f.ns;
  flooderPort = f.ofport;
  for (let i = 0; i < LEFT; i++)
    left.push((await lab.instance({ host: "h1", name: `q${i}`, ip: `10.41.0.${10 + i}/24`, server: false }, QUIET)).ns);
  for (let i = 0; i < RIGHT; i++)
    right.push(
      (await lab.instance({ host: "h2", name: `r${i}`, ip: `10.41.0.${100 + i}/24`, server: false }, QUIET)).ip,
    );
});

afterAll(async () => {
  await lab?.down();
});

describe("a noisy neighbour on the same host", () => {
  it("200 brand-new pairs of another tenant lose no first packet while one instance floods; the flood's packet-ins and drop flows stay bounded", async () => {
    const h1 = lab.state.hosts[0]!;
    const dropsOfFlooder = async (): Promise<number> =>
      (await ofctl(h1.ovsDir, "dump-flows", h1.bridge, "table=2,cookie=0x4e56060000000000/0xffffff0000000000"))
        .split("\n")
        .filter((l) => l.includes(`in_port=${flooderPort}`)).length;
    const flood = await startFlood(flooder);
    const before = lab.mapping.stats();
    const started = Date.now();
    let mostDrops = 0;
    let sent = 0;
    const lost: string[] = [];
    try {
      // each left instance walks its own row of fresh peers; the rows run side by side
      await Promise.all(
        left.map(async (from, i) => {
          for (let j = 0; j < RIGHT && i * RIGHT + j < 200; j++) {
            const to = right[(i + j) % RIGHT]!;
            if (!(await firstEcho(from, to)).answered) lost.push(`${from} → ${to}`);
            if (j % 4 === 0) mostDrops = Math.max(mostDrops, await dropsOfFlooder());
          }
        }),
      );
    } finally {
      sent = await flood.sent();
      await flood.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    const after = lab.mapping.stats();
    // it really flooded (the floor only checks the flood ran: 9.6 k/s was seen at load 30)
    expect(sent).toBeGreaterThan(5_000 * seconds);
    expect(lost).toEqual([]);
    expect(after.setups - before.setups).toBe(200);
    // what reached the TSC: Q's 200 first packets, and N's at most its meter's rate (100/s, burst 200)
    expect(after.packetIns - before.packetIns).toBeLessThan(200 + 100 * seconds + 200 + 50);
    // N's VEB held at most its share of short drops (32) plus its one port drop at any time
    expect(mostDrops).toBeLessThanOrEqual(33);
  });
});
