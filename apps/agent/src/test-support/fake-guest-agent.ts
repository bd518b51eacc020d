import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * A stand-in for QEMU's guest-agent chardev and the guest's qemu-guest-agent: a real unix socket
 * server speaking QGA's framing (a 0xFF resets its parser; the resync's answer follows a 0xFF
 * sentinel), misbehaving on demand (junk before the resync, silence, endless output, broken JSON).
 * `close` ends it and its clients (the guest hangs up).
 */
export type QgaRequest = { execute: string; arguments?: Record<string, unknown> };
export type GuestBehaviour = {
  /** written as soon as a client connects (what an earlier client left unread) */
  onConnect?: Buffer | string;
  /** the answer to each request; undefined: no answer */
  answer: (r: QgaRequest, n: number) => Buffer | string | undefined;
};

export interface FakeGuest {
  socket: string;
  requests: QgaRequest[];
  raw: Buffer[];
  close(): Promise<void>;
}

/** Listens on `socket` (default: a fresh temporary directory's qga.sock). */
export async function fakeGuest(b: GuestBehaviour, socket?: string): Promise<FakeGuest> {
  const dir = socket ? null : await mkdtemp(path.join(tmpdir(), "nvi-qga-"));
  socket ??= path.join(dir!, "qga.sock");
  await mkdir(path.dirname(socket), { recursive: true });
  const requests: QgaRequest[] = [];
  const raw: Buffer[] = [];
  const clients: Socket[] = [];
  const server: Server = createServer((s) => {
    clients.push(s);
    s.on("error", () => undefined);
    if (b.onConnect !== undefined) s.write(b.onConnect);
    let pending = "";
    s.on("data", (d: Buffer) => {
      raw.push(d);
      pending += d.toString("latin1").replaceAll("\xff", ""); // 0xFF resets the parser
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const r = JSON.parse(pending.slice(0, nl)) as QgaRequest;
        pending = pending.slice(nl + 1);
        requests.push(r);
        const out = b.answer(r, requests.length);
        if (out !== undefined) s.write(out);
      }
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  const close = async () => {
    for (const c of clients) c.destroy();
    await new Promise((r) => server.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  return { socket, requests, raw, close };
}

export const line = (o: unknown) => `${JSON.stringify(o)}\n`;
export const b64 = (s: string) => Buffer.from(s).toString("base64");
/** A well-behaved guest: the program exits on the second status poll with this output. */
export const honest =
  (out: { exitcode?: number; stdout?: string; stderr?: string } = {}) =>
  (r: QgaRequest, n: number): string | Buffer | undefined => {
    if (r.execute === "guest-sync-delimited")
      return Buffer.concat([Buffer.from([0xff]), Buffer.from(line({ return: r.arguments?.id }))]);
    if (r.execute === "guest-exec") return line({ return: { pid: 4242 } });
    if (r.execute === "guest-exec-status")
      return n < 4
        ? line({ return: { exited: false } })
        : line({
            return: {
              exited: true,
              exitcode: out.exitcode ?? 0,
              "out-data": b64(out.stdout ?? "hello\n"),
              "err-data": b64(out.stderr ?? ""),
            },
          });
    return line({ error: { class: "CommandNotFound", desc: `no ${r.execute}` } });
  };
