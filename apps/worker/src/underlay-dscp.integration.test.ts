import { cookieKind, VEB_MAC } from "@nvi/controller";
import { MemorySwitches } from "@nvi/controller/test-support";
import { createCoreDeps, setUnderlayDscp } from "@nvi/core";
import { testQueue } from "@nvi/core/test-support";
import { afterAll, describe, expect, it } from "vitest";
import { DbFabric } from "./fabric.ts";
import { anotherHost, dpid, running, tenantWithHost } from "./test-kit.ts";

/**
 * Issue 14: the DSCP on the underlay is the VPC's setting, never the tenant's own mark. From the
 * database to the flows: a VPC's `underlayDscp` is what its pairs write into every packet they map
 * onto the fabric, and changing it (a policy change) re-marks the pairs already set up.
 */
const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
const queue = testQueue("dscp");
afterAll(async () => {
  await deps.db.$disconnect();
  await queue.close();
});

describe("a VPC's underlay DSCP (real Postgres, in-memory VEB)", () => {
  it(
    "marks the VPC's packets on the fabric, and a change re-marks pairs already set up",
    { timeout: 30_000 },
    async () => {
      const t = await tenantWithHost(deps, "dscp");
      const a = await running(deps, t, "a", 7, 10);
      // c sits on another host of the same cloud: a's packets to it leave through the fabric port
      const other = await anotherHost(deps, t, "dscp-peer");
      await running(deps, other, "c", 9, 12);
      const fabric = new DbFabric(deps);
      const switches = new MemorySwitches(fabric.mapping.tscOptions(), (d, m) => fabric.mapping.packetIn(d, m));
      fabric.mapping.attachPort(switches);
      await fabric.refresh();
      for (const h of [t, other]) await switches.connect(dpid(h.id.datapathId));
      const veb = dpid(t.id.datapathId);
      const mac = (await deps.db.instance.findUniqueOrThrow({ where: { id: a } })).mac;
      const toC = { inPort: 7, ethSrc: mac, ethDst: VEB_MAC, ethType: 0x0800, ipProto: 1, ipDscp: 46 };
      const sent = async () => {
        const out = (await switches.inject(veb, { ...toC, ipv4Src: "10.20.1.10", ipv4Dst: "10.20.1.12" })).outputs;
        return out.length
          ? out.map((o) => o.packet.ipDscp)
          : (switches.released.at(-1)?.trace.outputs ?? []).map((o) => o.packet.ipDscp);
      };
      expect(await sent()).toEqual([0]); // the tenant's 46 does not leave the host
      const change = await setUnderlayDscp(t.ctx, queue, { vpcId: t.vpcId, underlayDscp: 10 });
      expect(change).toMatchObject({ applied: true, changes: [] }); // nobody gains or loses access
      const applied = await fabric.policyChanged({ operationId: change.operationId!, orgIds: [t.ctx.actor.orgId] });
      expect(applied.map((v) => v.revokedPairs)).toEqual([1, 1]); // the pair, on both VEBs
      expect(
        switches
          .table(veb)
          .flows()
          .filter((f) => cookieKind(f.cookie) === "MAPPING"),
      ).toEqual([]);
      expect(await sent()).toEqual([10]);
    },
  );
});
