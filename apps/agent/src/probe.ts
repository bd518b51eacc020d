import type { ProbeOutcome, ProbeRequest } from "@nvi/contracts";
import { containerName, inspect } from "./runtimes/docker.ts";
import { netnsName } from "./runtimes/netns.ts";
import type { Runner } from "./runner.ts";

/**
 * A live probe from inside an instance's own network namespace, so it takes exactly the path the
 * instance's packets take (its port on the VEB, the pair flows, the other side's VEB). ICMP: three
 * echoes 200 ms apart; TCP: one connect with a 3 s limit. Arguments are passed as an argv array
 * (the target is a validated IPv4 address and the port an integer), never through a shell string.
 * A VM's probe is sent from inside its guest instead (guest-probe.ts).
 */
const TCP_LIMIT_S = 3;

/** The argv prefix that runs a command in the instance's network namespace. */
async function enter(run: Runner, p: ProbeRequest, netnsPrefix?: string): Promise<string[]> {
  if (p.runtime === "netns") return ["ip", "netns", "exec", netnsName(p.instanceId, netnsPrefix)];
  if (p.runtime === "docker") {
    const c = await inspect(run, containerName(p.instanceId));
    if (!c?.running) throw new Error("the container is not running on this host");
    return ["nsenter", "-t", String(c.pid), "-n"];
  }
  throw new Error(`a ${p.runtime} instance's probe is not sent from a namespace (a VM's goes through its guest agent)`);
}

export function parsePing(out: string): { received: number; rttMs: number | null } {
  const received = Number(/(\d+) (?:packets )?received/.exec(out)?.[1] ?? 0);
  const avg = /= [\d.]+\/([\d.]+)\//.exec(out)?.[1];
  return { received, rttMs: avg === undefined ? null : Number(avg) };
}

const firstLine = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e))
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("Command failed"))[0]
    ?.slice(0, 300) ?? "";

export async function runProbe(run: Runner, p: ProbeRequest, netnsPrefix?: string): Promise<ProbeOutcome> {
  const prefix = await enter(run, p, netnsPrefix);
  if (p.protocol === "icmp") {
    try {
      const { received, rttMs } = parsePing(
        await run(prefix[0]!, [...prefix.slice(1), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", p.target]),
      );
      return {
        result: received > 0 ? "open" : "no-answer",
        rttMs,
        detail: `${received}/3 echo replies from ${p.target}`,
      };
    } catch {
      return { result: "no-answer", rttMs: null, detail: `0/3 echo replies from ${p.target}` };
    }
  }
  const started = process.hrtime.bigint();
  const elapsed = (): number => Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
  try {
    // bash opens the TCP connection itself; $0 and $1 are the address and the port. --norc: its
    // stdin is a socket (how node hands a child its stdio), and bash then reads ~/.bashrc as if sshd
    // had started it: a slow one (pyenv's init took the whole 3 s on one machine) made every probe
    // "no answer"
    await run(prefix[0]!, [
      ...prefix.slice(1),
      "timeout",
      String(TCP_LIMIT_S),
      "bash",
      "--norc",
      "--noprofile",
      "-c",
      'exec 3<>"/dev/tcp/$0/$1"',
      p.target,
      String(p.port),
    ]);
    return { result: "open", rttMs: elapsed(), detail: `tcp/${p.port} on ${p.target} accepted the connection` };
  } catch (e) {
    const why = firstLine(e);
    if (/refused/i.test(why))
      return {
        result: "refused",
        rttMs: elapsed(),
        detail: `tcp/${p.port} on ${p.target} refused: the path works, nothing listens there`,
      };
    return {
      result: "no-answer",
      rttMs: null,
      detail: `no answer from tcp/${p.port} on ${p.target} within ${TCP_LIMIT_S} s${why && !/timed out|Terminated/i.test(why) ? ` (${why})` : ""}`,
    };
  }
}
