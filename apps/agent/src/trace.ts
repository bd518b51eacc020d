import type { TraceOutcome, TraceRequest } from "@nvi/contracts";
import type { Runner } from "./runner.ts";

/**
 * The data path's own answer to "would this packet pass?": `ofproto/trace` runs a packet through
 * the VEB's installed flows (nothing is sent) and reports each rule it hits and what the datapath
 * would do. A conntrack step is traced as a new conversation (`--ct-next trk,new`). The request is
 * schema-checked (addresses, MACs, integers) and passed as argv, never through a shell.
 */
export function traceFlow(t: TraceRequest): string {
  const l4 =
    t.protocol === "icmp" ? "icmp,icmp_type=8,icmp_code=0" : `${t.protocol},tp_src=40000,tp_dst=${t.port ?? 80}`;
  return `in_port=${t.inPort},dl_src=${t.srcMac},dl_dst=${t.dstMac},${l4},nw_src=${t.srcIp},nw_dst=${t.dstIp},nw_ttl=64`;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export async function runTrace(run: Runner, bridge: string, t: TraceRequest): Promise<TraceOutcome> {
  if (!MAC.test(t.srcMac) || !MAC.test(t.dstMac))
    throw new Error("trace: MAC addresses must look like 02:00:00:00:00:01");
  return parseTrace(await run("ovs-appctl", ["ofproto/trace", "--ct-next", "trk,new", bridge, traceFlow(t)]));
}

/** Reads `ofproto/trace` output: the rules hit (table, match, priority, cookie → actions), the final flow and datapath actions. */
export function parseTrace(text: string): TraceOutcome {
  const lines = text.split("\n");
  const hops: string[] = [];
  let current: { head: string; actions: string[] } | null = null;
  const flush = (): void => {
    if (current && hops.length < 64)
      hops.push(
        `${current.head}${current.actions.length > 0 ? ` → ${current.actions.join(", ")}` : ""}`.slice(0, 1000),
      );
    current = null;
  };
  for (const line of lines) {
    const hop = /^\s{0,8}(\d+)\. (.+)$/.exec(line);
    if (hop) {
      flush();
      current = { head: `table ${hop[1]}: ${hop[2]!.trim()}`, actions: [] };
    } else if (
      current &&
      /^\s{4,}\S/.test(line) &&
      !/^\s*(Final flow|Megaflow|Datapath actions|Flow|bridge|recirc|Resuming|Initial flow|Modified flow)/.test(line)
    ) {
      current.actions.push(line.trim());
    } else flush();
  }
  flush();
  const datapath =
    lines
      .filter((l) => l.startsWith("Datapath actions:"))
      .at(-1)
      ?.replace("Datapath actions:", "")
      .trim() ?? "";
  const finalFlow =
    lines
      .filter((l) => l.startsWith("Final flow:"))
      .at(-1)
      ?.replace("Final flow:", "")
      .trim() ?? null;
  const toController = hops.some((h) => /CONTROLLER/.test(h)) || /userspace\(/.test(datapath);
  const verdict =
    datapath === "drop"
      ? "dropped"
      : toController
        ? "to-controller"
        : /(^|,)\d+$/.test(datapath)
          ? "forwarded"
          : datapath === ""
            ? "unknown"
            : "dropped";
  return {
    datapathActions: datapath.slice(0, 2000),
    verdict,
    hops,
    finalFlow: verdict === "dropped" || finalFlow === null ? null : finalFlow.slice(0, 2000),
  };
}
