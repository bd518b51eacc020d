import { homedir } from "node:os";
import path from "node:path";
import { z } from "zod";

export const CliEnv = z.object({
  NVI_URL: z.string().url().optional(),
  NVI_TOKEN: z.string().min(1).optional(),
  NVI_CONFIG: z.string().min(1).optional(),
  XDG_CONFIG_HOME: z.string().min(1).optional(),
});
export type CliEnv = z.infer<typeof CliEnv>;

/** The process environment, validated; the only place the CLI reads it. */
export function cliEnv(source: Record<string, string | undefined> = process.env): CliEnv {
  const result = CliEnv.safeParse(Object.fromEntries(Object.entries(source).filter(([, v]) => v !== "")));
  if (!result.success)
    throw new Error(
      `invalid environment: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return result.data;
}

export function configPath(env: CliEnv): string {
  return env.NVI_CONFIG ?? path.join(env.XDG_CONFIG_HOME ?? path.join(homedir(), ".config"), "nvi", "config.json");
}
