import { describe, expect, it } from "vitest";
import { person } from "../test-support/kit.ts";
import { listClouds } from "./clouds.ts";

/** The clouds' order on the real Postgres (ties in creation time included). */
describe("listClouds", () => {
  it("orders clouds created in the same instant by id: one order on every read, so a paged read neither repeats nor skips one", async () => {
    const mine = await person("cloud-ties");
    const at = new Date("2026-12-01T00:00:00.000Z");
    const ids = Array.from({ length: 8 }, () => mine.newId("cloud")).sort();
    // inserted in the reverse of id order, all in one instant: ties the creation time cannot break
    for (const [k, id] of [...ids].reverse().entries())
      await mine.db.cloud.create({
        data: {
          id,
          orgId: mine.actor.orgId,
          name: `tie-${k}`,
          kind: "baremetal",
          region: "eu",
          datacenter: "dc1",
          createdAt: at,
        },
      });
    const listed = (await listClouds(mine)).map((c) => c.id);
    expect(listed).toEqual(ids);
    expect((await listClouds(mine)).map((c) => c.id)).toEqual(listed);
    await mine.db.$disconnect();
  });
});
