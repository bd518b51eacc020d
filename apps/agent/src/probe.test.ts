import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parsePing, runProbe } from "./probe.ts";

describe("parsePing", () => {
  it("reads the replies and the average round trip of iputils ping", () => {
    const out =
      "3 packets transmitted, 3 received, 0% packet loss, time 404ms\nrtt min/avg/max/mdev = 0.101/0.250/0.480/0.160 ms\n";
    expect(parsePing(out)).toEqual({ received: 3, rttMs: 0.25 });
  });
  it("no reply: zero received, no round trip", () => {
    expect(parsePing("3 packets transmitted, 0 received, 100% packet loss, time 2030ms\n")).toEqual({
      received: 0,
      rttMs: null,
    });
  });
  it("busybox wording", () => {
    expect(
      parsePing(
        "3 packets transmitted, 2 packets received, 33% packet loss\nround-trip min/avg/max = 0.1/1.5/2.0 ms\n",
      ),
    ).toEqual({ received: 2, rttMs: 1.5 });
  });
});

describe("runProbe over tcp", () => {
  it("does not read the agent's ~/.bashrc: node hands bash a socket for stdin, which bash takes for sshd", async () => {
    // a slow ~/.bashrc (on one machine pyenv's init took the whole 3 s): sourced, every probe said "no answer"
    const home = await mkdtemp(path.join(tmpdir(), "nvi-probe-home-"));
    await writeFile(path.join(home, ".bashrc"), "sleep 10\n");
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    // the agent's runner (execFile), run in this namespace instead of the instance's, with the
    // agent's kind of environment: no SHLVL (a shell's would stop bash reading the file)
    const run = async (cmd: string, args: readonly string[]) => {
      const argv = cmd === "ip" && args[0] === "netns" ? args.slice(3) : [cmd, ...args];
      const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home };
      return (await promisify(execFile)(argv[0]!, argv.slice(1), { env, timeout: 20_000 })).stdout;
    };
    try {
      const started = Date.now();
      const out = await runProbe(run, {
        instanceId: "inst_x",
        runtime: "netns",
        target: "127.0.0.1",
        protocol: "tcp",
        port,
      });
      expect(out.result, out.detail).toBe("open");
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      server.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
