import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export const CliConfig = z.object({ url: z.string().url(), token: z.string().startsWith("nvi_") }).strict();
export type CliConfig = z.infer<typeof CliConfig>;

export async function readConfig(file: string): Promise<CliConfig | null> {
  try {
    const parsed = CliConfig.safeParse(JSON.parse(await readFile(file, "utf8")));
    if (!parsed.success) throw new Error(`${file} is damaged: run \`nvi login\` again`);
    return parsed.data;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** The token is a secret: the file is private to the user. */
export async function writeConfig(file: string, config: CliConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(CliConfig.parse(config), null, 2), { mode: 0o600 });
  await rename(tmp, file);
}
