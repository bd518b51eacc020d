import { EthType } from "@nvi/openflow";
import { describe, expect, it } from "vitest";
import type { FlowSpec } from "../flow.ts";
import { CT, PRIORITY, STAGES } from "../tables.ts";
import { pairFlows, pairTag, portMasks } from "./flows.ts";
import { fabricHost, leasedEndpoint } from "../test-support/fabric.ts";

const host = (n: number) => fabricHost(n, 1);
const ep = leasedEndpoint;
const H1 = host(1);
const H2 = host(2);
const web = ep("web", H1, 2, "10.0.0.2", "100.65.1.1");
const db = ep("db", H2, 3, "10.0.0.3", "100.65.2.1");
const tcp80 = [{ protocol: "tcp" as const, ports: [{ from: 80, to: 80 }] }];
const timing = { idleTimeout: 300 };
const actionsOf = (f: FlowSpec) => f.instructions.flatMap((i) => (i.type === "applyActions" ? i.actions : []));

describe("pair flows shaped by policy", () => {
  const flows = pairFlows({ endpoint: web, host: H1 }, { endpoint: db, host: H2 }, timing, { ab: tcp80, ba: [] });
  const onWeb = flows.get(H1.datapathId)!;
  const onDb = flows.get(H2.datapathId)!;

  it("web may open only tcp/80 to db; anything else of web's towards db drops on web's VEB", () => {
    const service = onWeb.filter((f) => f.priority === PRIORITY.SERVICE);
    expect(service).toHaveLength(1);
    expect(service[0]!.match).toMatchObject({
      inPort: 2,
      ethType: EthType.IPV4,
      ipv4Src: web.ipv4,
      ipv4Dst: db.ipv4,
      ipProto: 6,
      tcpDst: 80,
    });
    expect(actionsOf(service[0]!).at(-1)).toEqual({ type: "output", port: 1 });
    // db never opens anything towards web, so web has nothing to reply to: the rest of web's packets drop
    const rest = onWeb.find(
      (f) => f.priority === PRIORITY.ENDPOINT && f.tableId === STAGES.FORWARD.table && f.match.inPort === 2,
    );
    expect(rest?.instructions).toEqual([]);
  });

  it("what db receives is committed to conntrack (zone = db's port); db's packets pass only as replies", () => {
    const ingress = onDb.find((f) => f.match.inPort === 1)!;
    expect(actionsOf(ingress)).toContainEqual({ type: "ct", commit: true, force: false, zone: 3 });
    expect(actionsOf(ingress).at(-1)).toEqual({ type: "output", port: 3 });
    const egress = onDb.find((f) => f.tableId === STAGES.FORWARD.table && f.match.inPort === 3)!;
    expect(actionsOf(egress)).toEqual([
      { type: "ct", commit: false, force: false, zone: 3, table: STAGES.REPLY.table },
    ]);
    const replies = onDb.filter((f) => f.tableId === STAGES.REPLY.table);
    expect(replies.map((f) => [f.match.ctState, f.match.ctStateMask])).toEqual([
      [CT.TRK | CT.EST | CT.RPL, CT.TRK | CT.EST | CT.RPL | CT.INV],
      [CT.TRK | CT.REL, CT.TRK | CT.REL | CT.INV],
    ]);
    expect(actionsOf(replies[0]!).at(-1)).toEqual({ type: "output", port: 1 });
  });

  it("every flow of the pair carries the pair's cookie; anything both ways stays stateless", () => {
    const tag = BigInt(pairTag("web", "db"));
    for (const f of [...onWeb, ...onDb]) expect(f.cookie & 0xffffffffn).toBe(tag);
    const open = pairFlows({ endpoint: web, host: H1 }, { endpoint: db, host: H2 }, timing);
    const all = [...open.values()].flat();
    expect(all).toHaveLength(4);
    expect(all.flatMap(actionsOf).some((a) => a.type === "ct")).toBe(false);
  });

  it("port ranges become value/mask prefixes covering exactly the range", () => {
    expect(portMasks(80, 80)).toEqual([{ value: 80, mask: 0xffff }]);
    expect(portMasks(8000, 8080)).toEqual([
      { value: 8000, mask: 0xffc0 },
      { value: 8064, mask: 0xfff0 },
      { value: 8080, mask: 0xffff },
    ]);
    const covered = (from: number, to: number) => {
      const set = new Set<number>();
      for (const m of portMasks(from, to)) for (let p = 1; p < 65536; p++) if ((p & m.mask) === m.value) set.add(p);
      return set;
    };
    const s = covered(1000, 2047);
    expect(s.size).toBe(1048);
    expect(s.has(999) || s.has(2048)).toBe(false);
    expect(covered(1, 65535).size).toBe(65535);
  });
});
