import fc from "fast-check";
import { bytesToIpv6, bytesToMac, numberToIpv4 } from "../codec/addresses.ts";

/** fast-check generators for the scalars the codec's fields are made of (shared by the other arbitraries). */
export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => bytesToMac(b));
export const ipv4 = u32.map(numberToIpv4);
export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => bytesToIpv6(b));
export const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });
/** Lengths ≡ 4 (mod 8): the body of an unknown action/instruction after its 4-byte header. */
export const body4 = fc
  .integer({ min: 0, max: 5 })
  .chain((n) => fc.uint8Array({ minLength: n * 8 + 4, maxLength: n * 8 + 4 }));
export const ascii = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[ -~]{0,${max}}$`));
