import { type ProbeOutcome, type ProbeRequest, ipv4Value } from "@nvi/contracts";
import { parsePing } from "./probe.ts";
import { qgaExec, QgaError } from "./qga.ts";
import { qgaSocketOf } from "./runtimes/qemu.ts";

/**
 * A probe from inside a VM: its own kernel sends the packets, through its own NIC, tap and VEB port,
 * run by qemu-guest-agent (qga.ts). ICMP: `ping` (3 echoes 200 ms apart); TCP: `bash`'s /dev/tcp
 * connect under `timeout`, timed inside the guest with `date +%s%N`. Both are argv arrays given to
 * QGA; the address and port are checked again here, and bash reads them as `$0`/`$1`, never as
 * script text. What the guest reports is its claim: only the exit code and numbers are read from
 * it (bounded), no guest text reaches the console.
 */
const INSTANCE_ID = /^inst_[A-Za-z0-9_-]{1,64}$/;
export const GUEST_PROBE_LIMITS = { tcpSeconds: 3, pingSeconds: 4, qgaMs: 10_000 } as const;
/** bash opens the connection; it prints the microseconds it took. $0, $1: address and port (data only). */
const TCP_SCRIPT = 's=$(date +%s%N); exec 3<>"/dev/tcp/$0/$1" || exit 7; e=$(date +%s%N); echo $(( (e - s) / 1000 ))';

/** The argv the guest runs for a probe (pure: tested on its own). */
export function guestProbeProgram(p: ProbeRequest): { path: string; args: string[] } {
  if (ipv4Value(p.target) === null) throw new Error(`target: not an IPv4 address: ${JSON.stringify(p.target)}`);
  if (p.protocol === "icmp")
    return {
      path: "/usr/bin/timeout",
      args: [String(GUEST_PROBE_LIMITS.pingSeconds), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", p.target],
    };
  if (p.port === null || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
    throw new Error(`port: a tcp probe needs a port from 1 to 65535 (got ${String(p.port)})`);
  return {
    path: "/usr/bin/timeout",
    args: [String(GUEST_PROBE_LIMITS.tcpSeconds), "bash", "-c", TCP_SCRIPT, p.target, String(p.port)],
  };
}

/** A round trip the guest reported, kept only when it is a plausible number. */
const plausibleMs = (ms: number | null): number | null =>
  ms !== null && Number.isFinite(ms) && ms >= 0 && ms <= 60_000 ? Math.round(ms * 100) / 100 : null;

/** Reads what the guest's program reported into the probe's outcome (pure: tested on its own). */
export function guestProbeOutcome(
  p: ProbeRequest,
  r: { exitCode: number | null; stdout: string; stderr: string },
): ProbeOutcome {
  if (p.protocol === "icmp") {
    const { received, rttMs } = parsePing(r.stdout);
    const n = Math.min(3, Math.max(0, received));
    return {
      result: n > 0 ? "open" : "no-answer",
      rttMs: n > 0 ? plausibleMs(rttMs) : null,
      detail: `${n}/3 echo replies from ${p.target} (sent from inside the VM by its guest agent)`,
    };
  }
  if (r.exitCode === 0) {
    const us = /^\s*(\d{1,12})\s*$/.exec(r.stdout)?.[1];
    return {
      result: "open",
      rttMs: plausibleMs(us === undefined ? null : Number(us) / 1000),
      detail: `tcp/${p.port} on ${p.target} accepted the connection (from inside the VM)`,
    };
  }
  if (r.exitCode === 7 && /connection refused/i.test(r.stderr))
    return {
      result: "refused",
      rttMs: null,
      detail: `tcp/${p.port} on ${p.target} refused: the path works, nothing listens there`,
    };
  return {
    result: "no-answer",
    rttMs: null,
    detail: `no answer from tcp/${p.port} on ${p.target} within ${GUEST_PROBE_LIMITS.tcpSeconds} s (from inside the VM)`,
  };
}

/** Sends the probe from inside the VM `p.instanceId` through its guest agent. */
export async function runGuestProbe(
  p: ProbeRequest,
  vmDir: string,
  o: { timeoutMs?: number } = {},
): Promise<ProbeOutcome> {
  if (!INSTANCE_ID.test(p.instanceId)) throw new Error(`not an instance id: ${JSON.stringify(p.instanceId)}`);
  const program = guestProbeProgram(p);
  try {
    return guestProbeOutcome(
      p,
      await qgaExec(qgaSocketOf(vmDir, p.instanceId), program, { timeoutMs: o.timeoutMs ?? GUEST_PROBE_LIMITS.qgaMs }),
    );
  } catch (e) {
    if (e instanceof QgaError && e.failure === "no-channel")
      throw new Error(
        "this VM's guest has no agent (an initramfs guest has no qemu-guest-agent channel): probe towards it from another instance",
      );
    throw e;
  }
}
