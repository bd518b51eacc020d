import * as contracts from "@nvi/contracts";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { issuesText } from "./issues-text.ts";

/**
 * Issue 17, bug 3: Chrome compiles an `<input pattern>` with the `v` flag, where `[a-z0-9-]` is a
 * syntax error: the browser then skips validation and logs an error each time the form opens.
 * Every pattern in the console's components is compiled here the way the browser does.
 */
const components = join(import.meta.dirname, "../components");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".tsx") ? [join(dir, e.name)] : [],
  );
}

/** Each `pattern="…"` literal and each `pattern={NAME}` taken from @nvi/contracts, with where it is. */
function patterns(): { where: string; pattern: string }[] {
  return sources(components).flatMap((file) => {
    const text = readFileSync(file, "utf8");
    const literal = [...text.matchAll(/\bpattern="([^"]*)"/g)].map((m) => m[1]!);
    const named = [...text.matchAll(/\bpattern=\{([A-Z_]+)\}/g)].map((m) => {
      const value = (contracts as Record<string, unknown>)[m[1]!];
      if (typeof value !== "string") throw new Error(`${file}: pattern={${m[1]}} is not a string of @nvi/contracts`);
      return value;
    });
    return [...literal, ...named].map((pattern) => ({ where: file, pattern }));
  });
}

describe("input patterns", () => {
  it("every pattern compiles as the browser compiles it (the v flag)", () => {
    const found = patterns();
    expect(found.length).toBeGreaterThan(0);
    for (const { where, pattern } of found) {
      expect(() => new RegExp(`^(?:${pattern})$`, "v"), where).not.toThrow();
    }
  });

  it("the instance-name pattern accepts and refuses what the server does", () => {
    const browser = new RegExp(`^(?:${contracts.INSTANCE_NAME_PATTERN})$`, "v");
    for (const name of ["web-1", "a", "db", "a-b-c", "-web", "web-", "Web", "we_b", "we b", ""]) {
      expect(browser.test(name), name).toBe(contracts.INSTANCE_NAME.test(name));
    }
    expect(["web-1", "a", "a-b-c"].every((n) => browser.test(n))).toBe(true);
    expect(["-web", "web-", "Web"].some((n) => browser.test(n))).toBe(false);
  });
});

describe("validation issues as text", () => {
  it("names the field once", () => {
    expect(issuesText([{ path: "name", message: "name: lower-case letters" }])).toBe("name: lower-case letters");
    expect(issuesText([{ path: "name", message: "name is required" }])).toBe("name is required");
    expect(issuesText([{ path: "subnets.0.cidr", message: "cidr must be /16 to /29" }])).toBe(
      "subnets.0.cidr must be /16 to /29",
    );
    expect(
      issuesText([
        { path: "cpus", message: "Too big" },
        { path: "", message: "bad" },
      ]),
    ).toBe("cpus: Too big; bad");
  });
});
