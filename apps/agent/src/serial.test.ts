import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { asId } from "@nvi/contracts";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { SerialBridges, serialSocketOf } from "./serial.ts";

/**
 * The agent's bridge between the console's relay (here a WebSocket server that checks the ticket
 * the way the relay is handed it) and the VM's serial socket (here a unix socket server standing in
 * for QEMU's `-chardev socket`; the lab test in infra/dataplane runs the real QEMU and relay).
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function world(o: { vm?: boolean } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), "nvi-serial-"));
  const instanceId = "inst_abcdefghij0123456789";
  await mkdir(path.join(dir, instanceId), { recursive: true });
  const guest: { sockets: Socket[]; typed: string } = { sockets: [], typed: "" };
  let vm: Server | null = null;
  if (o.vm !== false) {
    vm = createServer((s) => {
      guest.sockets.push(s);
      s.on("data", (d) => (guest.typed += d.toString()));
    });
    await new Promise<void>((r) => vm!.listen(serialSocketOf(dir, instanceId), r));
  }
  const relay = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((r) => relay.once("listening", r));
  const port = (relay.address() as { port: number }).port;
  const peers: { ws: WebSocket; url: string; closed: Promise<number> }[] = [];
  relay.on("connection", (ws, req) =>
    peers.push({ ws, url: req.url ?? "", closed: new Promise((r) => ws.on("close", (code) => r(code))) }),
  );
  const attached: string[] = [];
  const api = {
    serialWait: () => Promise.resolve({ sessions: [] }),
    serialAttach: (_credential: string, sessionId: string) => {
      attached.push(sessionId);
      return Promise.resolve({
        path: "/api/v1/agent/serial/connect",
        ticket: `sat_${sessionId}`,
        instanceId: asId("instance", sessionId === "ser_other" ? "inst_someoneelse0000000" : instanceId),
      });
    },
    wsUrl: (p: string) => `ws://127.0.0.1:${port}${p}`,
  };
  const bridges = new SerialBridges(
    api,
    () => "nvh_credential",
    dir,
    () => undefined,
  );
  cleanups.push(async () => {
    bridges.closeAll();
    guest.sockets.forEach((s) => s.destroy());
    relay.close();
    vm?.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { bridges, guest, peers, attached, instanceId };
}

const until = async (fn: () => boolean) => {
  for (let i = 0; i < 200 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(fn()).toBe(true);
};

describe("the agent's serial console bridge", () => {
  it("dials the relay with its ticket and copies keystrokes to the VM and output back", async () => {
    const w = await world();
    await w.bridges.bridge("ser_one", w.instanceId);
    expect(w.peers[0]!.url).toBe("/api/v1/agent/serial/connect?ticket=sat_ser_one");
    const output: string[] = [];
    w.peers[0]!.ws.on("message", (d: Buffer) => output.push(d.toString()));
    w.peers[0]!.ws.send(Buffer.from("echo hi\r"), { binary: true });
    await until(() => w.guest.typed === "echo hi\r");
    await until(() => w.guest.sockets.length === 1);
    w.guest.sockets[0]!.write("hi\r\n");
    await until(() => output.join("") === "hi\r\n");
    // text frames are not keystrokes
    w.peers[0]!.ws.send("rm -rf /\r");
    await new Promise((r) => setTimeout(r, 50));
    expect(w.guest.typed).toBe("echo hi\r");
  });

  it("a second session for the same VM ends the first (QEMU serves one client)", async () => {
    const w = await world();
    await w.bridges.bridge("ser_one", w.instanceId);
    await w.bridges.bridge("ser_two", w.instanceId);
    expect(await w.peers[0]!.closed).toBe(4409);
    expect(w.bridges.size).toBe(1);
  });

  it("refuses an instance id that is a path, and a ticket for another VM, before touching a socket", async () => {
    const w = await world();
    await expect(w.bridges.bridge("ser_x", "../../etc")).rejects.toThrow("not an instance id");
    expect(w.attached).toEqual([]);
    await expect(w.bridges.bridge("ser_other", w.instanceId)).rejects.toThrow("another VM");
    expect(w.peers).toEqual([]);
  });

  it("a VM that is not running closes the session with 4404", async () => {
    const w = await world({ vm: false });
    await w.bridges.bridge("ser_one", w.instanceId);
    expect(await w.peers[0]!.closed).toBe(4404);
  });
});
