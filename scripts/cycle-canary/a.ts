// A type-only import cycle on purpose (see scripts/check-cycles.mjs): the check must report it.
import type { B } from "./b.ts";

export interface A {
  b?: B;
}
