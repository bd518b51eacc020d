import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { isProblem, overlaps, parseCidr, type Cidr } from "../net/cidr.ts";
import { cloudWithHost, freeIdentity, person, randomIdentity, testDeps } from "./kit.ts";

/**
 * The kit's identities against a database that outlived earlier runs: CI once refused a test's
 * enrollment because its random instance block overlapped a host left behind by another suite.
 */
const deps = testDeps();
afterAll(async () => {
  await deps.db.$disconnect();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (isProblem(c)) throw new Error(`not a CIDR: ${text}`);
  return c;
};

describe("freeIdentity", () => {
  it("never hands out an instance block that overlaps a block a host already holds", async () => {
    const octet = 1 + Math.floor(Math.random() * 254);
    const held = `10.${octet}.0.0/16`;
    const ctx = await person("kit-free", deps);
    const { hostId } = await cloudWithHost(ctx);
    await deps.db.host.update({ where: { id: hostId }, data: { instanceBlock: held } });

    // the first identity drawn lands inside the held /16 (every draw of the first 16 is the same number)
    const real = Math.random.bind(Math);
    let draws = 0;
    vi.spyOn(Math, "random").mockImplementation(() => (draws++ < 16 ? (octet + 0.5) / 256 : real()));
    expect(overlaps(cidr(randomIdentity().instanceBlock), cidr(held))).toBe(true);

    draws = 0;
    const id = await freeIdentity(deps.db);
    expect(overlaps(cidr(id.instanceBlock), cidr(held))).toBe(false);
    expect(draws).toBeGreaterThan(16);
  });
});
