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
    /** the credential before a rotation, kept until the new one has been accepted once */
    previousCredential: z.string().startsWith("nvh_").optional(),
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
  if (!parsed.success)
    throw new Error(`${path.join(dir, FILE)} is not a valid agent state file: ${parsed.error.issues[0]?.message}`);
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
 * sees the new one used. The old one is kept beside it until the new one has been accepted, so a
 * refused new credential (a rotation answer that lost a race) falls back instead of locking out.
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
    await this.save({
      ...this.state,
      credential,
      previousCredential: this.state.previousCredential ?? this.state.credential,
    });
  }

  /** The new credential was accepted: the old one is over on the console's side too. */
  async confirmed(): Promise<void> {
    if (this.state.previousCredential === undefined) return;
    const { previousCredential: _, ...rest } = this.state;
    await this.save(rest);
  }

  /**
   * The new credential was refused: the console did not take it (an answer that crossed a newer
   * one, a late request). The previous one is still valid there until a new one is used, so go
   * back to it and let the next heartbeat hand out another. False when there is nothing to go back to.
   */
  async revert(): Promise<boolean> {
    const previous = this.state.previousCredential;
    if (previous === undefined) return false;
    const { previousCredential: _, ...rest } = this.state;
    await this.save({ ...rest, credential: previous });
    return true;
  }

  private async save(next: AgentState): Promise<void> {
    await saveState(this.dir, next);
    this.state = next;
  }
}
