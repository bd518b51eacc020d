import { describe, expect, it } from "vitest";
import { changeOf, covers, describeServices, includes, normalize, parsePorts } from "./services.ts";
import { accessChanges, PolicyView, type PolicyInstance, type PolicySnapshot } from "./view.ts";

const inst = (id: string, vpcId: string, labels: Record<string, string>, orgId = "org_a"): PolicyInstance => ({
  id,
  orgId,
  vpcId,
  name: id,
  address: `10.0.0.${id.length}`,
  labels,
});
const web = inst("web", "vpc_1", { tier: "web", env: "prod" });
const db = inst("db", "vpc_1", { tier: "db", env: "prod" });
const dev = inst("dev", "vpc_1", { tier: "db", env: "dev" });
const other = inst("other", "vpc_2", { tier: "web" }, "org_b");

const base: PolicySnapshot = {
  groups: [
    { id: "g_web", orgId: "org_a", vpcId: "vpc_1", name: "web", matchLabels: { tier: "web" }, memberIds: [] },
    { id: "g_db", orgId: "org_a", vpcId: "vpc_1", name: "db", matchLabels: { tier: "db" }, memberIds: [] },
    { id: "g_ops", orgId: "org_a", vpcId: "vpc_1", name: "ops", matchLabels: null, memberIds: ["dev"] },
    { id: "g_b", orgId: "org_b", vpcId: "vpc_2", name: "b", matchLabels: {}, memberIds: [] },
  ],
  rules: [
    {
      id: "r1",
      orgId: "org_a",
      srcGroupId: "g_web",
      srcVpcId: null,
      dstGroupId: "g_db",
      protocol: "tcp",
      ports: [{ from: 5432, to: 5432 }],
      bidirectional: false,
      enabled: true,
      description: "pg",
    },
    {
      id: "r2",
      orgId: "org_a",
      srcGroupId: "g_web",
      srcVpcId: null,
      dstGroupId: "g_db",
      protocol: "icmp",
      ports: [],
      bidirectional: false,
      enabled: false,
      description: "off",
    },
  ],
  denies: [
    {
      id: "d1",
      orgId: "org_a",
      srcLabels: { env: "prod" },
      dstLabels: { env: "dev" },
      description: "prod never opens to dev",
    },
  ],
  peerings: [{ id: "p1", vpcA: "vpc_1", vpcB: "vpc_2", status: "pending" }],
};

describe("service sets", () => {
  it("normalise, merge ranges, and compare by value", () => {
    expect(
      normalize([
        { protocol: "tcp", ports: [{ from: 80, to: 80 }] },
        { protocol: "tcp", ports: [{ from: 81, to: 90 }] },
        { protocol: "icmp", ports: [] },
      ]),
    ).toEqual([
      { protocol: "icmp", ports: [] },
      { protocol: "tcp", ports: [{ from: 80, to: 90 }] },
    ]);
    expect(
      normalize([
        { protocol: "udp", ports: [] },
        { protocol: "any", ports: [] },
      ]),
    ).toEqual([{ protocol: "any", ports: [] }]);
    expect(covers([{ protocol: "tcp", ports: [{ from: 80, to: 90 }] }], { protocol: "tcp", port: 85 })).toBe(true);
    expect(covers([{ protocol: "tcp", ports: [{ from: 80, to: 90 }] }], { protocol: "udp", port: 85 })).toBe(false);
    expect(includes([{ protocol: "tcp", ports: [] }], [{ protocol: "tcp", ports: [{ from: 1, to: 2 }] }])).toBe(true);
    expect(changeOf([], [{ protocol: "icmp", ports: [] }])).toBe("gains");
    expect(changeOf([{ protocol: "any", ports: [] }], [{ protocol: "icmp", ports: [] }])).toBe("loses");
    expect(changeOf([{ protocol: "udp", ports: [] }], [{ protocol: "icmp", ports: [] }])).toBe("changes");
    expect(parsePorts("443, 8000-8080,80")).toEqual([
      { from: 80, to: 80 },
      { from: 443, to: 443 },
      { from: 8000, to: 8080 },
    ]);
    expect(parsePorts("70000")).toMatch(/1 to 65535/);
    expect(describeServices([{ protocol: "tcp", ports: [{ from: 443, to: 443 }] }])).toBe("tcp/443");
  });
});

describe("PolicyView", () => {
  const view = new PolicyView(base);

  it("allows by rule, one way, only what the rule says; disabled rules count for nothing", () => {
    expect(view.decide(web, db)).toMatchObject({
      services: [{ protocol: "tcp", ports: [{ from: 5432, to: 5432 }] }],
      ruleIds: ["r1"],
    });
    expect(view.decide(db, web).services).toEqual([]);
    expect(view.explain(web, db, { protocol: "icmp", port: null })).toMatchObject({ allowed: false });
    expect(view.explain(web, db, { protocol: "tcp", port: 5432 })).toMatchObject({ allowed: true, ruleIds: ["r1"] });
  });

  it("the deny list comes first, whatever the rules say", () => {
    const allowAll: PolicySnapshot = {
      ...base,
      rules: [
        ...base.rules,
        {
          id: "r3",
          orgId: "org_a",
          srcGroupId: "g_web",
          srcVpcId: null,
          dstGroupId: "g_ops",
          protocol: "any",
          ports: [],
          bidirectional: true,
          enabled: true,
          description: "",
        },
      ],
    };
    const v = new PolicyView(allowAll);
    expect(v.decide(web, dev)).toMatchObject({ services: [], denyIds: ["d1"] });
    // the two-way rule still lets dev open to web: the deny entry is one-way
    expect(v.decide(dev, web).services).toEqual([{ protocol: "any", ports: [] }]);
  });

  it("other tenants are out of reach without an active peering, and a peering alone allows nothing", () => {
    expect(view.decide(web, other).reason).toMatch(/not peered/);
    const peered = new PolicyView({
      ...base,
      peerings: [{ id: "p1", vpcA: "vpc_1", vpcB: "vpc_2", status: "active" }],
    });
    expect(peered.decide(web, other)).toMatchObject({ services: [], reason: expect.stringMatching(/no rule/) });
    const withRule = new PolicyView({
      ...base,
      peerings: [{ id: "p1", vpcA: "vpc_1", vpcB: "vpc_2", status: "active" }],
      rules: [
        {
          id: "rx",
          orgId: "org_b",
          srcGroupId: null,
          srcVpcId: "vpc_1",
          dstGroupId: "g_b",
          protocol: "tcp",
          ports: [{ from: 443, to: 443 }],
          bidirectional: false,
          enabled: true,
          description: "",
        },
      ],
    });
    expect(withRule.decide(web, other).services).toEqual([{ protocol: "tcp", ports: [{ from: 443, to: 443 }] }]);
    expect(withRule.decide(other, web).services).toEqual([]);
  });

  it("the matrix says plugged, partial or unplugged per (from, to), with the deny entries that override", () => {
    const cells = view.matrix("vpc_1", [web, db, dev]);
    expect(cells.find((c) => c.srcGroupId === "g_web" && c.dstGroupId === "g_db")).toMatchObject({
      state: "partial",
      ruleIds: ["r1"],
      deniedBy: ["d1"],
    });
    expect(cells.find((c) => c.srcGroupId === "g_db" && c.dstGroupId === "g_web")).toMatchObject({
      state: "unplugged",
      ruleIds: [],
    });
  });

  it("a preview compares each pair as it was and as it will be (labels included)", () => {
    const relabelled = { ...dev, labels: { tier: "db", env: "prod" } };
    const d = accessChanges(view, view, [web, db, dev], [web, db, relabelled]);
    expect(d.changes.map((c) => `${c.from.id}→${c.to.id}:${c.change}`)).toEqual(["web→dev:gains"]);
    expect(d.pairsChecked).toBe(6);
  });
});
