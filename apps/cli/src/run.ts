import { UsageError, parseArgs } from "./args.ts";
import { ApiError, DEFAULT_RETRY, client } from "./client.ts";
import { COMMANDS, SWITCHES, findCommand } from "./commands.ts";
import { readConfig, writeConfig } from "./config.ts";
import { configPath, type CliEnv } from "./env.ts";
import { table } from "./table.ts";

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length), 40);
  return [
    "nvi: the NVI console from the command line (REST /api/v1 with an API token)",
    "",
    `  ${"login --url URL --token nvi_…".padEnd(width)}  check the token and remember it`,
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    "",
    "Global: --json (raw JSON), --url, --token (or NVI_URL, NVI_TOKEN; saved by login in ~/.config/nvi/config.json).",
  ].join("\n");
}

function show(value: unknown, columns: string[] | undefined, json: boolean): string {
  if (json) return JSON.stringify(value, null, 2);
  if (Array.isArray(value) && columns) return table(value as Record<string, unknown>[], columns);
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    const width = Math.max(...entries.map(([k]) => k.length));
    return entries
      .map(
        ([k, v]) =>
          `${k.padEnd(width)}  ${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v as string)}`,
      )
      .join("\n");
  }
  return String(value);
}

/** The whole CLI as a function of its arguments and environment: exit code 0 ok, 1 refused by the API, 2 usage. */
export async function run(argv: readonly string[], env: CliEnv, io: Io): Promise<number> {
  try {
    const args = parseArgs(argv, SWITCHES);
    const json = args.flags.json === true;
    if (args.positionals.length === 0 || args.flags.help === true || args.positionals[0] === "help") {
      io.out(help());
      return args.positionals.length === 0 && args.flags.help !== true ? 2 : 0;
    }
    const file = configPath(env);
    if (args.positionals[0] === "login") {
      const url = typeof args.flags.url === "string" ? args.flags.url : env.NVI_URL;
      const token = typeof args.flags.token === "string" ? args.flags.token : env.NVI_TOKEN;
      if (!url || !token)
        throw new UsageError("login needs --url and --token (create a token in the console under API tokens)");
      const me = (await client(url, token).call("GET", "/me")) as { email: string; organization: { name: string } };
      await writeConfig(file, { url, token });
      io.out(`logged in to ${url} as ${me.email} (${me.organization.name}); saved in ${file}`);
      return 0;
    }
    const found = findCommand(args.positionals);
    if (!found) throw new UsageError(`unknown command "${args.positionals.join(" ")}"; try \`nvi help\``);
    const saved = await readConfig(file);
    const url = (typeof args.flags.url === "string" ? args.flags.url : null) ?? env.NVI_URL ?? saved?.url;
    const token = (typeof args.flags.token === "string" ? args.flags.token : null) ?? env.NVI_TOKEN ?? saved?.token;
    if (!url || !token) throw new UsageError("not logged in: run `nvi login --url URL --token nvi_…`");
    const rest = { ...args, positionals: args.positionals.slice(found.rest) };
    const { command } = found;
    const retry = { ...DEFAULT_RETRY, onRetry: (message: string) => io.err(`waiting: ${message}`) };
    const answer = await client(url, token, retry).call(command.method, command.path(rest), command.body?.(rest));
    const shown = !json && command.human ? command.human(answer) : command.pick ? command.pick(answer) : answer;
    io.out(show(shown, command.columns, json));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`usage: ${error.message}`);
      return 2;
    }
    if (error instanceof ApiError) {
      io.err(`error: ${error.message}${error.code ? ` (${error.code})` : ""}`);
      for (const issue of error.issues) io.err(`  ${issue.path || "(body)"}: ${issue.message}`);
      return 1;
    }
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
}
