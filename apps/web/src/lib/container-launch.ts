import { CommandArgs, ContainerEnv, EnvName, EnvValue } from "@nvi/contracts";

/**
 * The launch form's container fields as text: the command one argument per line (argv, no shell:
 * `sh`, `-c`, `echo $HOME` is three lines), the environment one `NAME=value` per line (`#` starts a
 * comment line). Checked with the API's own rules, so a message names the line at fault.
 */
export type Parsed<T> = { ok: true; value: T | undefined } | { ok: false; error: string };

const lines = (text: string): string[] => text.replace(/\r\n?/g, "\n").split("\n");

export function parseCommandText(text: string): Parsed<string[]> {
  const words = lines(text);
  while (words.length > 0 && words.at(-1)!.trim() === "") words.pop();
  while (words.length > 0 && words[0]!.trim() === "") words.shift();
  if (words.length === 0) return { ok: true, value: undefined };
  const checked = CommandArgs.safeParse(words);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const at = typeof issue?.path[0] === "number" ? ` (line ${issue.path[0] + 1})` : "";
    return { ok: false, error: `command${at}: ${issue?.message ?? "not a valid command"}` };
  }
  return { ok: true, value: checked.data };
}

export function parseEnvText(text: string): Parsed<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [i, line] of lines(text).entries()) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const eq = line.indexOf("=");
    const name = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (eq < 0) return { ok: false, error: `environment (line ${i + 1}): "${name.slice(0, 40)}" is not NAME=value` };
    const value = line.slice(eq + 1);
    const problem = EnvName.safeParse(name).error ?? EnvValue.safeParse(value).error;
    if (problem)
      return { ok: false, error: `environment (line ${i + 1}, ${name.slice(0, 40)}): ${problem.issues[0]?.message}` };
    if (name in env) return { ok: false, error: `environment (line ${i + 1}): ${name} is set twice` };
    env[name] = value;
  }
  if (Object.keys(env).length === 0) return { ok: true, value: undefined };
  const all = ContainerEnv.safeParse(env);
  if (!all.success) return { ok: false, error: `environment: ${all.error.issues[0]?.message ?? "too large"}` };
  return { ok: true, value: env };
}

/** The launch input's container part from the submitted form, or the first problem found. */
export function containerLaunchInput(
  form: FormData,
): { ok: true; value: { command?: string[]; env?: Record<string, string> } } | { ok: false; error: string } {
  const raw = (k: string) => {
    const v = form.get(k);
    return typeof v === "string" ? v : "";
  };
  const command = parseCommandText(raw("commandText"));
  if (!command.ok) return command;
  const env = parseEnvText(raw("envText"));
  if (!env.ok) return env;
  return {
    ok: true,
    value: { ...(command.value ? { command: command.value } : {}), ...(env.value ? { env: env.value } : {}) },
  };
}
