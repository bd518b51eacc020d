// A type-only import cycle on purpose (see scripts/check-cycles.mjs): the check must report it.
import type { A } from "./a.ts";

export interface B {
  a?: A;
}
