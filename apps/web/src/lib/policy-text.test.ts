import type { AccessChange } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { describeChange, describeRuleService } from "./policy-text.ts";

const side = (name: string) => ({ instanceId: `inst_${name}`, name, address: "10.0.0.2" });
const change = (
  before: AccessChange["before"],
  after: AccessChange["after"],
  kind: AccessChange["change"],
): AccessChange => ({ from: side("web-1"), to: side("db-1"), before, after, change: kind });

describe("describeChange", () => {
  it("says what a pair loses when it loses everything", () => {
    expect(describeChange(change([{ protocol: "any", ports: [] }], [], "loses"))).toBe("web-1 → db-1: loses any");
  });
  it("says what a pair gains from nothing", () => {
    expect(describeChange(change([], [{ protocol: "tcp", ports: [{ from: 80, to: 80 }] }], "gains"))).toBe(
      "web-1 → db-1: gains tcp/80",
    );
  });
  it("shows before and after when some access stays", () => {
    expect(
      describeChange(
        change(
          [{ protocol: "tcp", ports: [{ from: 80, to: 80 }] }],
          [{ protocol: "tcp", ports: [{ from: 443, to: 443 }] }],
          "changes",
        ),
      ),
    ).toBe("web-1 → db-1: changes tcp/80 → tcp/443");
  });
});

describe("describeRuleService", () => {
  it("names ports and ranges", () => {
    expect(
      describeRuleService({
        protocol: "tcp",
        ports: [
          { from: 80, to: 80 },
          { from: 8000, to: 8080 },
        ],
      }),
    ).toBe("tcp/80,8000-8080");
    expect(describeRuleService({ protocol: "icmp", ports: [] })).toBe("icmp");
  });
});
