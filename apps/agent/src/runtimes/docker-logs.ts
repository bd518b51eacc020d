import { LOG_LIMITS, stripControlSequences, type LogsOutcome } from "@nvi/contracts";
import type { StreamsRunner } from "../runner.ts";

/**
 * A container's last lines (the console's logs view): `docker logs --timestamps --tail N`, its
 * stdout and stderr merged back into one stream by their timestamps, control sequences removed
 * (the console removes them again: it does not take the agent's word), and at most
 * LOG_LIMITS.maxBytes kept, the newest, cut at a line.
 */
export const LOGS_TIMEOUT_MS = 10_000;
/** What `docker logs` may write before it is stopped (1000 long lines); what is sent is far less. */
const LOGS_READ_CAP = 16 << 20;

const stamped = (line: string): { at: string; line: string } => {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z /.exec(line);
  // RFC 3339 with nanoseconds, trailing zeros trimmed by Docker: padded, the strings sort by time
  return { at: m ? `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}` : "", line };
};

export function mergeLogs(stdout: string, stderr: string, lines: number): { text: string; truncated: boolean } {
  const split = (s: string) => s.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
  const all = [...split(stdout).map(stamped), ...split(stderr).map(stamped)];
  // a stable sort: lines of one stream with the same stamp keep their order
  all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  let kept = all.slice(-lines).map((l) => stripControlSequences(l.line));
  let truncated = all.length > lines;
  let bytes = kept.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  while (bytes > LOG_LIMITS.maxBytes && kept.length > 0) {
    bytes -= Buffer.byteLength(kept[0]!) + 1;
    kept = kept.slice(1);
    truncated = true;
  }
  if (kept.length === 0 && all.length > 0) {
    // one line longer than the whole allowance: its newest part
    const last = stripControlSequences(all.at(-1)!.line);
    kept = [
      Buffer.from(last)
        .subarray(-LOG_LIMITS.maxBytes + 1)
        .toString("utf8")
        .replace(/^\uFFFD/, ""),
    ];
    truncated = true;
  }
  return { text: kept.join("\n"), truncated };
}

export async function readDockerLogs(streams: StreamsRunner, name: string, lines: number): Promise<LogsOutcome> {
  const n = Math.max(1, Math.min(LOG_LIMITS.maxLines, Math.floor(lines)));
  try {
    const out = await streams("docker", ["logs", "--timestamps", "--tail", String(n), "--", name], {
      timeoutMs: LOGS_TIMEOUT_MS,
      maxBytes: LOGS_READ_CAP,
    });
    return mergeLogs(out.stdout, out.stderr, n);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/no such container/i.test(msg)) throw new Error(`container ${name} is not on this host`);
    if (/maxBuffer/i.test(msg)) throw new Error(`the last ${n} lines of ${name} are too large to read: ask for fewer`);
    throw new Error(`docker logs failed: ${msg.split("\n").slice(1).join(" ").slice(0, 300) || msg.slice(0, 300)}`);
  }
}
