/** `a b --flag value --switch c` → positionals [a, b, c] and flags { flag: "value", switch: true }. */
export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | true>;
  /** every value a flag was given, in order (`--env A=1 --env B=2`); `flags` keeps the last */
  repeated?: Record<string, string[]>;
  /** the words after a bare `--`, as given (a container's command); null when there is no `--` */
  afterDashes?: string[] | null;
}

export function parseArgs(argv: readonly string[], switches: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  const repeated: Record<string, string[]> = {};
  let afterDashes: string[] | null = null;
  const set = (name: string, value: string) => {
    flags[name] = value;
    (repeated[name] ??= []).push(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      afterDashes = argv.slice(i + 1);
      positionals.push(...afterDashes);
      break;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (inline !== undefined) set(name, inline);
    else if (switches.has(name)) flags[name] = true;
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      set(name, value);
      i++;
    }
  }
  return { positionals, flags, repeated, afterDashes };
}

export class UsageError extends Error {}

export const need = (a: ParsedArgs, flag: string): string => {
  const v = a.flags[flag];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${flag} is required`);
  return v;
};
export const arg = (a: ParsedArgs, index: number, what: string): string => {
  const v = a.positionals[index];
  if (!v) throw new UsageError(`give the ${what}`);
  return encodeURIComponent(v);
};
export const num = (a: ParsedArgs, flag: string): number | undefined => {
  const v = a.flags[flag];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${flag} must be a whole number`);
  return n;
};
export const query = (params: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  return q.size ? `?${q.toString()}` : "";
};
