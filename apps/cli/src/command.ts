import type { ParsedArgs } from "./args.ts";

/** One CLI command: which REST call it makes and how its answer is shown. */
export interface Command {
  words: string[];
  usage: string;
  summary: string;
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: (a: ParsedArgs) => string;
  body?: (a: ParsedArgs) => unknown;
  /** Columns for a list; absent → key/value view of one object. */
  columns?: string[];
  /** What of the answer to show (e.g. the `events` of a page). */
  pick?: (answer: unknown) => unknown;
  /** What a person reads of the answer, when it differs from what `--json` prints (e.g. a nested count flattened). */
  human?: (answer: unknown) => unknown;
}
