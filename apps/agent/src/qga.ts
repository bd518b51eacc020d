import { randomInt } from "node:crypto";
import { connect, type Socket } from "node:net";
import { z } from "zod";

/**
 * A client of qemu-guest-agent (QGA) over the unix socket QEMU gives its channel
 * (`virtserialport … name=org.qemu.guest_agent.0`, runtimes/qemu-disk.ts). It runs one program in
 * the guest: resync with `guest-sync-delimited` (a 0xFF byte first, so the agent drops anything half
 * read from an earlier client; its answer follows a 0xFF sentinel, so whatever an earlier client left
 * unread is skipped), then `guest-exec` with captured output, then `guest-exec-status` until the
 * program exited. QMP's framing: one JSON object per request, one JSON object and a newline per answer.
 *
 * The guest is not trusted: everything it sends is bounded (bytes per answer and per session, the
 * decoded output), validated with zod, and the whole exchange has one deadline. What runs is an
 * argv array (QGA's `path` + `arg`); no shell string is ever built here.
 */
export const QGA_LIMITS = {
  /** one answer of the guest (an exec status carries the output base64-encoded) */
  lineBytes: 64 * 1024,
  /** everything read in one session, junk before the resync included */
  sessionBytes: 256 * 1024,
  /** each of stdout and stderr, decoded; the rest is cut */
  outputBytes: 16 * 1024,
  /** between two `guest-exec-status` */
  pollMs: 100,
} as const;
export type QgaLimits = typeof QGA_LIMITS;

/** Why the guest could not run the program, for the console's error. */
export type QgaFailure = "no-channel" | "not-running" | "timeout" | "protocol" | "refused";

export class QgaError extends Error {
  constructor(
    readonly failure: QgaFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ExecResult {
  /** null when the program was killed by a signal */
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** An answer is `{"return": …}` or `{"error": {"class", "desc"}}`; anything else is a protocol error. */
const Answer = z.union([
  z.object({ return: z.unknown() }),
  z.object({ error: z.object({ class: z.string().max(200).optional(), desc: z.string().max(2000).optional() }) }),
]);
const ExecStarted = z.object({
  pid: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31),
});
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ExecStatus = z.object({
  exited: z.boolean(),
  exitcode: z
    .number()
    .int()
    .min(-(2 ** 31))
    .max(2 ** 31)
    .optional(),
  signal: z.number().int().min(0).max(1024).optional(),
  "out-data": z.string().regex(BASE64).optional(),
  "err-data": z.string().regex(BASE64).optional(),
});

/** Printable text of at most `max` characters (the guest's words go into messages people read). */
const printable = (s: string, max = 200): string =>
  s
    .replace(/[^\x20-\x7e]+/g, " ")
    .trim()
    .slice(0, max);

/** Bytes in, one deadline for everything; no answer is read past the limits. */
class Reader {
  private buf = Buffer.alloc(0);
  private total = 0;
  private ended: QgaError | null = null;
  private wake: (() => void) | null = null;

  constructor(
    sock: Socket,
    private readonly deadline: number,
    private readonly limits: QgaLimits,
    private readonly timeoutMessage: () => string,
  ) {
    sock.on("data", (chunk: Buffer) => {
      this.total += chunk.length;
      if (this.total > limits.sessionBytes) {
        this.fail(new QgaError("protocol", `the guest agent sent more than ${limits.sessionBytes} bytes`));
        sock.destroy();
        return;
      }
      this.buf = Buffer.concat([this.buf, chunk]);
      this.wake?.();
    });
    sock.on("close", () => this.fail(new QgaError("protocol", "the guest agent's channel closed mid-answer")));
    sock.on("error", () => undefined); // its close says the rest
  }

  private fail(e: QgaError): void {
    this.ended ??= e;
    this.wake?.();
  }

  private async more(): Promise<void> {
    if (this.ended) throw this.ended;
    const left = this.deadline - Date.now();
    if (left <= 0) throw new QgaError("timeout", this.timeoutMessage());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = null;
  }

  /** Drops everything up to and including the next 0xFF (the resync's sentinel). */
  async skipPastSentinel(): Promise<void> {
    for (;;) {
      const at = this.buf.indexOf(0xff);
      if (at >= 0) {
        this.buf = this.buf.subarray(at + 1);
        return;
      }
      this.buf = Buffer.alloc(0);
      await this.more();
    }
  }

  /** The next newline-terminated answer, refused past `lineBytes`. */
  async line(): Promise<string> {
    for (;;) {
      const at = this.buf.indexOf(0x0a);
      if (at > this.limits.lineBytes || (at < 0 && this.buf.length > this.limits.lineBytes))
        throw new QgaError("protocol", `the guest agent sent an answer over ${this.limits.lineBytes} bytes`);
      if (at >= 0) {
        const text = this.buf.subarray(0, at).toString("utf8");
        this.buf = this.buf.subarray(at + 1);
        if (text.trim()) return text;
        continue;
      }
      await this.more();
    }
  }
}

const SYNC_PHASE = "answer the resync";
const SyncAnswer = (id: number) => z.object({ return: z.literal(id) });
const jsonOrNull = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new QgaError("protocol", `the guest agent answered something that is not JSON: "${printable(text, 80)}"`);
  }
}

async function open(socketPath: string, deadline: number): Promise<Socket> {
  const sock = connect(socketPath);
  const timer = setTimeout(() => sock.destroy(new Error("timeout")), Math.max(0, deadline - Date.now()));
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    return sock;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new QgaError("no-channel", "this VM has no guest-agent channel");
    if (code === "ECONNREFUSED") throw new QgaError("not-running", "the VM is not running on this host");
    throw new QgaError("timeout", `the VM's guest-agent channel did not open: ${printable((e as Error).message)}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `path` with `args` in the guest and returns its exit code and output. The program itself
 * must be bounded in time (QGA cannot kill it): callers wrap it in `timeout`.
 */
export async function qgaExec(
  socketPath: string,
  program: { path: string; args: readonly string[] },
  o: { timeoutMs: number; limits?: Partial<QgaLimits> },
): Promise<ExecResult> {
  const limits: QgaLimits = { ...QGA_LIMITS, ...o.limits };
  const deadline = Date.now() + o.timeoutMs;
  const sock = await open(socketPath, deadline);
  let phase = SYNC_PHASE;
  const reader = new Reader(
    sock,
    deadline,
    limits,
    () =>
      `the VM's guest agent did not ${phase} within ${Math.round(o.timeoutMs / 100) / 10} s${
        phase === SYNC_PHASE ? " (is qemu-guest-agent running in the guest?)" : ""
      }`,
  );
  const send = (execute: string, args: Record<string, unknown>) => {
    sock.write(`${JSON.stringify({ execute, arguments: args })}\n`);
  };
  const ask = async (execute: string, args: Record<string, unknown>): Promise<unknown> => {
    send(execute, args);
    const answer = Answer.safeParse(parseJson(await reader.line()));
    if (!answer.success) throw new QgaError("protocol", `the guest agent's answer to ${execute} is not a QMP answer`);
    if ("error" in answer.data)
      throw new QgaError(
        "refused",
        `the guest agent refused ${execute}: ${printable(answer.data.error.desc ?? answer.data.error.class ?? "no reason given")}`,
      );
    return answer.data.return;
  };
  try {
    const id = randomInt(1, 2 ** 31);
    sock.write(Buffer.from([0xff]));
    send("guest-sync-delimited", { id });
    // answers left over from an earlier client precede ours; each resync answer follows a 0xFF
    for (;;) {
      await reader.skipPastSentinel();
      const text = await reader.line();
      // a 0xFF is not UTF-8: a later sentinel on the same line reads as U+FFFD, and what follows it counts
      if (SyncAnswer(id).safeParse(jsonOrNull(text.slice(text.lastIndexOf("\ufffd") + 1))).success) break;
    }
    phase = "start the program";
    const started = ExecStarted.safeParse(
      await ask("guest-exec", { path: program.path, arg: [...program.args], "capture-output": true }),
    );
    if (!started.success) throw new QgaError("protocol", "the guest agent's guest-exec answer has no pid");
    phase = "report the program's end";
    for (;;) {
      const status = ExecStatus.safeParse(await ask("guest-exec-status", { pid: started.data.pid }));
      if (!status.success)
        throw new QgaError("protocol", "the guest agent's guest-exec-status answer is not an exec status");
      if (status.data.exited)
        return {
          exitCode: status.data.signal !== undefined ? null : (status.data.exitcode ?? null),
          stdout: decode(status.data["out-data"], limits.outputBytes),
          stderr: decode(status.data["err-data"], limits.outputBytes),
        };
      if (Date.now() + limits.pollMs >= deadline)
        throw new QgaError("timeout", `the program in the guest did not end within ${o.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, limits.pollMs));
    }
  } finally {
    sock.destroy();
  }
}

const decode = (b64: string | undefined, max: number): string =>
  b64 === undefined ? "" : Buffer.from(b64, "base64").subarray(0, max).toString("utf8");
