import { describe, expect, it } from "vitest";
import { UsageError, parseArgs } from "./args.ts";
import { table } from "./table.ts";

describe("argument parsing", () => {
  it("separates positionals, flags with values, switches and --x=y", () => {
    expect(
      parseArgs(
        ["vpcs", "create", "--name", "a b", "--allow-overlap", "--cidr=10.0.0.0/16", "--", "--raw"],
        new Set(["allow-overlap"]),
      ),
    ).toEqual({
      positionals: ["vpcs", "create", "--raw"],
      flags: { name: "a b", "allow-overlap": true, cidr: "10.0.0.0/16" },
      repeated: { name: ["a b"], cidr: ["10.0.0.0/16"] },
      afterDashes: ["--raw"],
    });
  });

  it("keeps every value of a repeated flag, and the words after -- as they are", () => {
    const a = parseArgs(["--env", "A=1", "--env=B=x y", "--", "sh", "-c", "echo $A"], new Set());
    expect(a.repeated?.env).toEqual(["A=1", "B=x y"]);
    expect(a.flags.env).toBe("B=x y");
    expect(a.afterDashes).toEqual(["sh", "-c", "echo $A"]);
    expect(parseArgs(["--name", "x"], new Set()).afterDashes).toBeNull();
  });

  it("refuses a flag without its value", () => {
    expect(() => parseArgs(["--name"], new Set())).toThrow(UsageError);
    expect(() => parseArgs(["--name", "--json"], new Set(["json"]))).toThrow(/--name needs a value/);
  });
});

describe("tables", () => {
  it("aligns columns, reads nested fields and shows gaps as -", () => {
    const out = table(
      [
        { id: "a", facts: { ip: "1.2.3.4" }, tags: ["x", "y"] },
        { id: "bbbb", facts: {}, tags: [] },
      ],
      ["id", "facts.ip", "tags"],
    );
    expect(out).toBe(["ID    IP       TAGS", "a     1.2.3.4  x,y", "bbbb  -        -"].join("\n"));
    expect(table([], ["id"])).toBe("(none)");
  });
});
