import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/** What the agent remembers between restarts: who it is and how to prove it. */
export const AgentState = z
  .object({
    controlUrl: z.string().url(),
    hostId: z.string().min(1),
    orgId: z.string().min(1),
    cloudId: z.string().min(1),
    credential: z.string().startsWith("nvh_"),
    enrolledAt: z.iso.datetime(),
  })
  .strict();
export type AgentState = z.infer<typeof AgentState>;

const FILE = "state.json";

export async function loadState(dir: string): Promise<AgentState | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const parsed = AgentState.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path.join(dir, FILE)} is not a valid agent state file: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Written atomically (temp file + rename) and readable by root only: it holds the credential. */
export async function saveState(dir: string, state: AgentState): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `${FILE}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(AgentState.parse(state), null, 2), { mode: 0o600 });
  await rename(tmp, path.join(dir, FILE));
}

/**
 * The credential the agent proves itself with, shared by the heartbeat and command loops. A
 * rotation (a heartbeat answer with `newCredential`) is saved to the state file first and only
 * then used: a crash in between leaves the old one on disk, which keeps working until the console
 * sees the new one used, so the host is never locked out.
 */
export class AgentCredential {
  constructor(
    private readonly dir: string,
    private state: AgentState,
  ) {}

  get current(): string {
    return this.state.credential;
  }

  async adopt(credential: string): Promise<void> {
    const next = { ...this.state, credential };
    await saveState(this.dir, next);
    this.state = next;
  }
}
