import { describe, expect, it } from "vitest";
import { planInternet } from "./internet.ts";
import { planLab } from "./plan.ts";

describe("the internet topology's plan", () => {
  it("dc1's gateway behind 1:1 NAT, dc2's public, dc3's behind the port-rewriting NAT at its edge's address", () => {
    const net = planInternet(planLab("nettest", 4, 2, 3));
    expect(net.gateways.map((g) => [g.hostId, g.mode, g.publicIp])).toEqual([
      ["h1", "nat", "203.0.113.101"],
      ["h3", "public", "203.0.113.103"],
      ["h5", "napt", "203.0.113.3"],
      ["h7", "public", "203.0.113.107"],
    ]);
    expect(net.edges.find((e) => e.dc === 3)?.publicIp).toBe("203.0.113.3");
  });
});
