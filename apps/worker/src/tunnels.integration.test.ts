import { createCloud, createCoreDeps } from "@nvi/core";
import { freeGatewayAddresses } from "@nvi/core/test-support";
import { afterAll, describe, expect, it } from "vitest";
import { DbFabric } from "./fabric.ts";
import { anotherHost, dpid, tenantWithHost } from "./test-kit.ts";
import { TunnelFeed } from "./tunnels.ts";

/**
 * Issue 15, against the real Postgres: the gateways' link verdicts as their heartbeats stored them
 * reach the worker's mapping (`TunnelFeed`), which cuts a gateway whose every link is down and
 * brings it back when a link is up again.
 */
const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
afterAll(async () => {
  await deps.db.$disconnect();
});

describe("gateway link verdicts from Postgres to the TSC", () => {
  it("two gateways of one organization in two clouds: their link declared down cuts both, up again brings them back", async () => {
    const a = await tenantWithHost(deps, "tun-a");
    const b = await anotherHost(deps, a, "tun-b");
    const other = await createCloud(a.ctx, {
      name: `tun-${a.hostId.slice(-6)}`,
      kind: "baremetal",
      region: "eu",
      datacenter: "dc2",
    });
    await deps.db.host.update({ where: { id: b.hostId }, data: { cloudId: other.id } });
    const pub = await freeGatewayAddresses(deps.db, "198.55");
    for (const [i, t] of [a, b].entries()) {
      await deps.db.host.update({ where: { id: t.hostId }, data: { gatewayPublicAddress: pub(i + 1) } });
      const { cloudId } = await deps.db.host.findUniqueOrThrow({ where: { id: t.hostId } });
      await deps.db.cloud.update({ where: { id: cloudId }, data: { interconnect: "gateway" } });
    }
    const verdicts = async (up: boolean) => {
      for (const [t, peer] of [
        [a, pub(2)],
        [b, pub(1)],
      ] as const) {
        const row = await deps.db.host.findUniqueOrThrow({ where: { id: t.hostId } });
        const link = { peerAddress: peer, lastHandshakeAt: new Date().toISOString(), rxBytes: 1, txBytes: 1, up };
        await deps.db.host.update({
          where: { id: t.hostId },
          data: { facts: { ...(row.facts as object), gatewayLinks: [link] }, lastSeenAt: new Date() },
        });
      }
    };
    const said: { msg: string; gateway: bigint }[] = [];
    const logger = {
      info: (msg: string, f?: Record<string, unknown>) =>
        void (typeof f?.gateway === "string" && said.push({ msg, gateway: BigInt(`0x${f.gateway}`) })),
      warn: () => undefined,
    };
    const fabric = new DbFabric(deps, logger);
    const feed = new TunnelFeed(deps, fabric.mapping, () => undefined);
    const ours = [dpid(a.id.datapathId), dpid(b.id.datapathId)].sort();
    const cut = (msg: string) =>
      said
        .filter((s) => s.msg === msg && ours.includes(s.gateway))
        .map((s) => s.gateway)
        .sort();

    await verdicts(true);
    await fabric.refresh();
    await feed.update();
    expect(cut("gateway tunnel cut")).toEqual([]);

    await verdicts(false);
    // a burst of notifications: one read, then exactly one more
    await Promise.all([feed.update(), feed.update(), feed.update()]);
    expect(cut("gateway tunnel cut")).toEqual(ours);

    await verdicts(true);
    await feed.update();
    expect(cut("gateway tunnel up again")).toEqual(ours);
  });
});
