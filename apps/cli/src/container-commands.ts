import { arg, need, num, UsageError, type ParsedArgs } from "./args.ts";
import type { Command } from "./command.ts";

/**
 * A container's command and environment at launch (`instances launch … --env K=V … -- CMD ARGS`),
 * its logs, and the registry a cloud's hosts pull from. The command is argv: the words after `--`
 * as the shell that runs `nvi` left them, or `--command` with a JSON array; a plain string is
 * refused rather than split (no shell rules are guessed at).
 */
export function containerLaunchFields(a: ParsedArgs): { command?: string[]; env?: Record<string, string> } {
  const out: { command?: string[]; env?: Record<string, string> } = {};
  const given = a.flags.command;
  if (typeof given === "string" && a.afterDashes && a.afterDashes.length > 0)
    throw new UsageError("give the command either with --command or after --, not both");
  if (typeof given === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(given);
    } catch {
      parsed = null;
    }
    if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === "string"))
      throw new UsageError(
        `--command is a JSON array of words, like '["sleep","3600"]' (or put the words after --), not "${given.slice(0, 60)}"`,
      );
    out.command = parsed;
  } else if (a.afterDashes && a.afterDashes.length > 0) out.command = a.afterDashes;
  const env = a.repeated?.env ?? [];
  if (env.length > 0) {
    out.env = {};
    for (const pair of env) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new UsageError(`--env is NAME=VALUE (got "${pair.slice(0, 60)}")`);
      const name = pair.slice(0, eq);
      if (name in out.env) throw new UsageError(`--env ${name} is given twice`);
      out.env[name] = pair.slice(eq + 1);
    }
  }
  return out;
}

const opt = (a: ParsedArgs, f: string): string | undefined => (typeof a.flags[f] === "string" ? a.flags[f] : undefined);

export const CONTAINER_COMMANDS: Command[] = [
  {
    words: ["instances", "logs"],
    usage: "instances logs INSTANCE_ID [--lines N]",
    summary: "a container's last lines of output (stdout and stderr; at most 1000 lines)",
    method: "POST",
    path: (a) => `/instances/${arg(a, 0, "instance id")}/logs`,
    body: (a) => ({ lines: num(a, "lines") ?? 200 }),
    pick: (answer) => (answer as { text: string }).text,
  },
  {
    words: ["clouds", "registry", "show"],
    usage: "clouds registry show CLOUD_ID",
    summary: "the registry a cloud's hosts pull images from (the password only as set / not set)",
    method: "GET",
    path: (a) => `/clouds/${arg(a, 0, "cloud id")}/registry`,
  },
  {
    words: ["clouds", "registry", "set"],
    usage: "clouds registry set CLOUD_ID --server HOST[:PORT] [--username U] [--password P]",
    summary: "set the registry a cloud's hosts may pull from, with an optional account (kept encrypted)",
    method: "PUT",
    path: (a) => `/clouds/${arg(a, 0, "cloud id")}/registry`,
    body: (a) => ({
      server: need(a, "server"),
      ...(opt(a, "username") !== undefined ? { username: opt(a, "username") } : {}),
      ...(opt(a, "password") !== undefined ? { password: opt(a, "password") } : {}),
    }),
  },
  {
    words: ["clouds", "registry", "clear"],
    usage: "clouds registry clear CLOUD_ID",
    summary: "forget a cloud's registry and its account",
    method: "DELETE",
    path: (a) => `/clouds/${arg(a, 0, "cloud id")}/registry`,
  },
];
