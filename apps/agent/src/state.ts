import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { CredentialRefusedError } from "./control-plane.ts";

/** What the agent remembers between restarts: who it is and how to prove it. */
export const AgentState = z
  .object({
    controlUrl: z.string().url(),
    hostId: z.string().min(1),
    orgId: z.string().min(1),
    cloudId: z.string().min(1),
    credential: z.string().startsWith("nvh_"),
    /** the other credential of a rotation (the one before, or the new one after a fall-back), kept until one is accepted */
    previousCredential: z.string().startsWith("nvh_").optional(),
    enrolledAt: z.iso.datetime(),
    /** the instance block the console approved or assigned (when NVI_INSTANCE_BLOCK is not set) */
    instanceBlock: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/)
      .optional(),
    /**
     * the console's last word on whether this host's instances talk across clouds: after a reboot
     * the VMs are started again before the first heartbeat is answered, and must start as it says
     */
    crossCloud: z.boolean().optional(),
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
 * sees the new one used. The other one is kept beside it until one of them has been accepted, and
 * a 401 to the current one switches to the other once: a new credential refused (a rotation answer
 * that lost a race) falls back to the old one, and an old one refused because the console did take
 * the new one (its confirming call failed after the swap, e.g. a 400 on the CSR) goes forward again.
 * Only a 401 switches: a refusal for any other reason says nothing about the credential.
 */
export class AgentCredential {
  /** switched to the other credential since the last accepted call: a second 401 means both are refused */
  private switched = false;

  constructor(
    private readonly dir: string,
    private state: AgentState,
  ) {}

  get current(): string {
    return this.state.credential;
  }

  async adopt(credential: string): Promise<void> {
    await this.save({ ...this.state, credential, previousCredential: this.state.credential });
    this.switched = false;
  }

  /** A call made with the current credential was accepted: the other one is over on the console's side too. */
  async confirmed(): Promise<void> {
    this.switched = false;
    if (this.state.previousCredential === undefined) return;
    const { previousCredential: _, ...rest } = this.state;
    await this.save(rest);
  }

  /**
   * A call made with the current credential was refused. On a 401 the other credential is tried
   * next (kept on disk beside it); false when the refusal is not about the credential, when there
   * is no other one, or when the other one was refused too since the last accepted call.
   */
  async refused(error: unknown): Promise<boolean> {
    const other = this.state.previousCredential;
    if (!(error instanceof CredentialRefusedError) || other === undefined || this.switched) return false;
    await this.save({ ...this.state, credential: other, previousCredential: this.state.credential });
    this.switched = true;
    return true;
  }

  get instanceBlock(): string | undefined {
    return this.state.instanceBlock;
  }

  /** The console assigned (or re-stated) the host's instance block: kept with the credential. */
  async rememberBlock(instanceBlock: string): Promise<void> {
    if (this.state.instanceBlock !== instanceBlock) await this.save({ ...this.state, instanceBlock });
  }

  get crossCloud(): boolean {
    return this.state.crossCloud === true;
  }

  /** The console said whether the host's instances talk across clouds: kept for the next start. */
  async rememberCrossCloud(crossCloud: boolean): Promise<void> {
    if (this.crossCloud !== crossCloud) await this.save({ ...this.state, crossCloud });
  }

  private async save(next: AgentState): Promise<void> {
    await saveState(this.dir, next);
    this.state = next;
  }
}
