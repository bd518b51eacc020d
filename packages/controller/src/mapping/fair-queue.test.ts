import { describe, expect, it } from "vitest";
import { FairQueue } from "./fair-queue.ts";

describe("FairQueue (packet-ins waiting for the TSC)", () => {
  it("serves another tenant's first packet right after a flood that arrived before it, and bounds the flood", async () => {
    const served: string[] = [];
    const q = new FairQueue<string>((x) => void served.push(x), { perPort: 8, batch: 4 });
    const all: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) all.push(q.push("org_noisy", "1/2", `flood${i}`));
    all.push(q.push("org_quiet", "1/3", "first"));
    expect(q.stats()).toEqual({ waiting: 9, dropped: 992 });
    await Promise.all(all); // dropped ones resolve too
    expect(served.indexOf("first")).toBeLessThanOrEqual(1);
    expect(served).toHaveLength(9);
    expect(served.filter((x) => x.startsWith("flood"))).toEqual(
      [992, 993, 994, 995, 996, 997, 998, 999].map((i) => `flood${i}`),
    );
  });

  it("takes turns between tenants, then between a tenant's ports", async () => {
    const served: string[] = [];
    const q = new FairQueue<string>((x) => void served.push(x));
    await Promise.all([
      q.push("a", "p1", "a1-1"),
      q.push("a", "p1", "a1-2"),
      q.push("a", "p2", "a2-1"),
      q.push("b", "p3", "b3-1"),
      q.push("b", "p3", "b3-2"),
    ]);
    expect(served).toEqual(["a1-1", "b3-1", "a2-1", "b3-2", "a1-2"]);
    expect(q.stats()).toEqual({ waiting: 0, dropped: 0 });
  });

  it("keeps serving when one item fails", async () => {
    const served: string[] = [];
    const q = new FairQueue<string>((x) => {
      if (x === "bad") throw new Error("boom");
      served.push(x);
    });
    await Promise.all([q.push("a", "p", "bad"), q.push("a", "p", "good")]);
    expect(served).toEqual(["good"]);
  });
});
