import { describe, expect, it } from "vitest";
import { firstFreeBlock, parseInstancePool } from "./instance-blocks.ts";
import type { Cidr } from "../net/cidr.ts";

const pool = (text: string) => parseInstancePool(text) as Cidr;
const block = (instanceBlock: string) => ({ instanceBlock, fabricAddress: null });
const address = (fabricAddress: string) => ({ instanceBlock: null, fabricAddress });

describe("instance blocks the console assigns", () => {
  it("the first /24 of the pool clear of approved blocks and fabric addresses", () => {
    expect(firstFreeBlock(pool("100.64.0.0/10"), [])).toBe("100.64.0.0/24");
    expect(firstFreeBlock(pool("100.64.0.0/10"), [block("100.64.0.0/24"), address("100.64.1.7")])).toBe(
      "100.64.2.0/24",
    );
    // a small block inside a /24 still takes the whole /24; a wide one takes every /24 it covers
    expect(
      firstFreeBlock(pool("100.64.0.0/21"), [block("100.64.0.64/26"), block("100.64.2.0/23"), address("100.64.1.9")]),
    ).toBe("100.64.4.0/24");
    // blocks and addresses outside the pool do not count; a block wider than the pool fills it
    expect(firstFreeBlock(pool("100.65.0.0/23"), [block("10.0.0.0/8"), address("100.66.0.1")])).toBe("100.65.0.0/24");
    expect(firstFreeBlock(pool("100.65.0.0/23"), [block("100.64.0.0/10")])).toBeNull();
  });

  it("says so when the pool is full", () => {
    expect(firstFreeBlock(pool("100.65.0.0/23"), [block("100.65.0.0/24"), address("100.65.1.1")])).toBeNull();
    expect(firstFreeBlock(pool("100.65.7.0/24"), [])).toBe("100.65.7.0/24");
  });

  it("a pool must be a CIDR that holds at least one /24", () => {
    expect(parseInstancePool("100.64.0.0/25")).toEqual({
      message: "NVI_INSTANCE_POOL: 100.64.0.0/25 is smaller than one /24 block",
    });
    expect(parseInstancePool("100.64.0.1/10")).toMatchObject({ message: expect.stringContaining("host bits") });
    expect(parseInstancePool("nope")).toMatchObject({ message: expect.stringContaining("not an IPv4 CIDR") });
  });
});
