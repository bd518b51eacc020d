import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assignableRange,
  contains,
  formatCidr,
  formatIpv4,
  gatewayOf,
  isPrivate,
  isProblem,
  overlaps,
  parseCidr,
  parseIpv4,
  type Cidr,
} from "./cidr.ts";

const cidr = (t: string) => {
  const c = parseCidr(t);
  if (isProblem(c)) throw new Error(c.message);
  return c;
};

describe("CIDR parsing", () => {
  it("round-trips addresses and networks", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }), (addr, prefix) => {
        expect(parseIpv4(formatIpv4(addr))).toBe(addr);
        const network = addr - (addr % 2 ** (32 - prefix));
        expect(parseCidr(formatCidr({ network, prefix }))).toEqual({ network, prefix });
      }),
    );
  });

  it("explains what is wrong", () => {
    expect(parseCidr("10.0.0.1/16")).toEqual({ message: "10.0.0.1/16 has host bits set; did you mean 10.0.0.0/16?" });
    expect(parseCidr("10.0.0/16")).toMatchObject({ message: expect.stringMatching(/not an IPv4 address/) });
    expect(parseCidr("10.0.0.0")).toMatchObject({ message: expect.stringMatching(/not an IPv4 CIDR/) });
    expect(parseCidr("10.0.0.0/33")).toMatchObject({ message: expect.stringMatching(/longer than 32/) });
    expect(parseCidr("300.0.0.0/8")).toMatchObject({ message: expect.stringMatching(/not an IPv4 address/) });
    expect(parseCidr("010.0.0.0/8")).toMatchObject({ message: expect.stringMatching(/not an IPv4 address/) });
  });
});

describe("CIDR relations", () => {
  it("overlap is symmetric and containment implies overlap", () => {
    const arb = fc
      .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 8, max: 30 }))
      .map(([a, p]): Cidr => ({ network: a - (a % 2 ** (32 - p)), prefix: p }));
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        expect(overlaps(a, b)).toBe(overlaps(b, a));
        if (contains(a, b)) expect(overlaps(a, b)).toBe(true);
      }),
    );
  });

  it("knows private ranges, gateways and assignable addresses", () => {
    expect(isPrivate(cidr("10.1.0.0/16"))).toBe(true);
    expect(isPrivate(cidr("172.31.0.0/16"))).toBe(true);
    expect(isPrivate(cidr("172.32.0.0/16"))).toBe(false);
    expect(isPrivate(cidr("8.8.8.0/24"))).toBe(false);
    expect(overlaps(cidr("10.0.0.0/16"), cidr("10.0.255.0/24"))).toBe(true);
    expect(overlaps(cidr("10.0.0.0/16"), cidr("10.1.0.0/24"))).toBe(false);
    const sn = cidr("10.0.1.0/24");
    expect(formatIpv4(gatewayOf(sn))).toBe("10.0.1.1");
    const range = assignableRange(sn);
    expect([formatIpv4(range.first), formatIpv4(range.last)]).toEqual(["10.0.1.2", "10.0.1.254"]);
  });
});
