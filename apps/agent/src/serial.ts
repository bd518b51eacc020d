import { connect } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";
import type { controlPlane } from "./control-plane.ts";
import { consoleLogOf } from "./runtimes/qemu.ts";
import type { Log } from "./runner.ts";

/**
 * The agent's half of the serial console relay (ARCHITECTURE.md "Serial console"). The agent never
 * listens: it long-polls the console for sessions a person opened on its VMs, asks for a one-time
 * ticket for each (the console gives one only for a session on this host, for a VM it runs here),
 * dials the console's relay over a WebSocket with it and copies bytes between that WebSocket and the
 * VM's QEMU serial socket (`-chardev socket,…,server=on,wait=off` in runtimes/qemu.ts; the console
 * file still gets every byte the guest writes).
 */

/** The VM's serial port, beside its console file. */
export const serialSocketOf = (vmDir: string, instanceId: string): string =>
  path.join(path.dirname(consoleLogOf(vmDir, instanceId)), "serial.sock");

/** An instance id the console names: never a path (claims are checked before they touch a file). */
const INSTANCE_ID = /^inst_[A-Za-z0-9_-]{1,64}$/;
export const SERIAL_BRIDGE_LIMITS = { bridges: 16, frameBytes: 64 * 1024, bufferedBytes: 1024 * 1024 } as const;

type Plane = Pick<ReturnType<typeof controlPlane>, "serialWait" | "serialAttach" | "wsUrl">;

export class SerialBridges {
  /** one bridge per VM (QEMU serves one client per serial port): its closer */
  private readonly open = new Map<string, (code: number, reason: string) => void>();

  constructor(
    private readonly api: Plane,
    private readonly credential: () => string,
    private readonly vmDir: string,
    private readonly log: Log,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** The long poll, until `stopping`: each session is bridged on its own, the poll goes on. */
  async loop(stopping: () => boolean): Promise<void> {
    let failures = 0;
    while (!stopping()) {
      try {
        const { sessions } = await this.api.serialWait(this.credential());
        failures = 0;
        for (const s of sessions)
          this.bridge(s.sessionId, s.instanceId).catch((e: Error) =>
            this.log("warn", "serial console session not carried", { sessionId: s.sessionId, error: e.message }),
          );
      } catch (error) {
        if (failures++ % 10 === 0)
          this.log("warn", "serial console poll failed; will retry", { error: (error as Error).message });
        await sleep(Math.min(60_000, 1000 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  /** Carries one session: resolves once both sides are connected (or refuses, saying why). */
  async bridge(sessionId: string, instanceId: string): Promise<void> {
    if (!INSTANCE_ID.test(instanceId)) throw new Error(`not an instance id: ${JSON.stringify(instanceId)}`);
    if (this.open.size >= SERIAL_BRIDGE_LIMITS.bridges && !this.open.has(instanceId))
      throw new Error(`already ${this.open.size} serial console sessions on this host`);
    const ticket = await this.api.serialAttach(this.credential(), sessionId);
    if (ticket.instanceId !== instanceId) throw new Error("the console's ticket names another VM");
    const ws = new WebSocket(`${this.api.wsUrl(ticket.path)}?ticket=${encodeURIComponent(ticket.ticket)}`, {
      maxPayload: SERIAL_BRIDGE_LIMITS.frameBytes,
      handshakeTimeout: 10_000,
    });
    ws.on("error", () => undefined); // its close says the rest
    await new Promise<void>((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("close", (code, reason) => reject(new Error(`the relay refused: ${code} ${reason.toString()}`)));
    });
    // the older session of this VM ends first: QEMU would queue this one behind it
    this.open.get(instanceId)?.(4409, "another serial console session took this VM over");
    const vm = connect(serialSocketOf(this.vmDir, instanceId));
    let ended = false;
    const end = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      if (this.open.get(instanceId) === end) this.open.delete(instanceId);
      vm.destroy();
      if (ws.readyState === ws.OPEN) ws.close(code, reason);
      this.log("info", "serial console session ended", { sessionId, instanceId, code, reason });
    };
    this.open.set(instanceId, end);
    vm.on("error", (e: NodeJS.ErrnoException) =>
      end(4404, e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "the VM is not running on its host" : e.message),
    );
    vm.on("close", () => end(4410, "the VM's console closed (the VM stopped)"));
    ws.on("close", () => end(1000, "closed by the console"));
    vm.on("data", (chunk: Buffer) => {
      ws.send(chunk, { binary: true });
      if (ws.bufferedAmount > SERIAL_BRIDGE_LIMITS.bufferedBytes) {
        vm.pause();
        const wait = setInterval(() => {
          if (ended || ws.bufferedAmount <= SERIAL_BRIDGE_LIMITS.bufferedBytes / 2) {
            clearInterval(wait);
            vm.resume();
          }
        }, 50);
      }
    });
    ws.on("message", (data: Buffer, isBinary) => {
      if (!isBinary || ended) return;
      if (!vm.write(data)) {
        ws.pause();
        vm.once("drain", () => ws.resume());
      }
    });
    this.log("info", "serial console session carried", { sessionId, instanceId });
  }

  /** Ends every session (the agent is stopping). */
  closeAll(): void {
    for (const end of [...this.open.values()]) end(1001, "the host's agent is stopping");
  }
}
