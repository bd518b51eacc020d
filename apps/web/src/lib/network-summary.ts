import {
  guardProblem,
  INSTANCE_STATUSES,
  type HostDto,
  type InstanceCounts,
  type OperationDto,
  type RealizationDto,
} from "@nvi/contracts";

/** One line of the Overview: a count, what it counts, whether it needs attention, and where to look. */
export interface SummaryTile {
  key: string;
  title: string;
  value: string;
  detail: string;
  tone: "ok" | "warn" | "bad" | "muted";
  href: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function byStatus<T extends { status: string }>(rows: readonly T[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.status, (m.get(r.status) ?? 0) + 1);
  return m;
}

/**
 * The state of the network at a glance (issue 17, "An Overview that tells the state of the
 * network"): hosts online and not, instances by state, operations failing, drift found on the VEBs,
 * each with the page that shows the detail.
 */
export function networkSummary(data: {
  hosts: readonly HostDto[];
  /** instances not terminated, by state (`instance.counts`) */
  instances: InstanceCounts;
  operations: readonly OperationDto[];
  realization: readonly RealizationDto[];
}): SummaryTile[] {
  const hosts = byStatus(data.hosts);
  const down = (hosts.get("offline") ?? 0) + (hosts.get("stale") ?? 0);
  // in the states' own order (pending … failed), whatever order the counts came in
  const inst = new Map(
    INSTANCE_STATUSES.flatMap((s) => {
      const n = data.instances.byStatus[s] ?? 0;
      return s !== "terminated" && n > 0 ? [[s, n] as const] : [];
    }),
  );
  const live = data.instances.total;
  const failedInstances = inst.get("failed") ?? 0;
  const failing = data.operations.filter((o) => o.status === "failed");
  const running = data.operations.filter((o) => o.status === "running" || o.status === "queued");
  const drift = data.realization.filter((r) => r.stale > 0 || r.missing > 0);
  const problems = data.hosts.filter((h) => h.identityClaim || h.fabricProblem || guardProblem(h.facts.guards));
  return [
    {
      key: "hosts",
      title: "Hosts",
      value: `${hosts.get("online") ?? 0} online`,
      detail:
        data.hosts.length === 0
          ? "no host enrolled yet"
          : [
              down > 0 ? `${down} offline or stale` : "none offline",
              problems.length ? plural(problems.length, "needs", "need") + " attention" : "",
            ]
              .filter(Boolean)
              .join(" · "),
      tone: data.hosts.length === 0 ? "muted" : down > 0 || problems.length > 0 ? "bad" : "ok",
      href: "/clouds",
    },
    {
      key: "instances",
      title: "Instances",
      value: `${inst.get("running") ?? 0} running`,
      detail:
        live === 0
          ? "none launched"
          : [...inst]
              .filter(([s]) => s !== "running")
              .map(([s, n]) => `${n} ${s}`)
              .join(" · ") || "all running",
      tone: live === 0 ? "muted" : failedInstances > 0 ? "bad" : "ok",
      href: "/instances",
    },
    {
      key: "operations",
      title: "Operations failing",
      value: String(failing.length),
      detail: [
        failing[0] ? `latest: ${failing[0].kind} ${failing[0].targetName ?? ""}`.trim() : "none",
        running.length ? `${running.length} in progress` : "",
      ]
        .filter(Boolean)
        .join(" · "),
      tone: failing.length > 0 ? "bad" : "ok",
      href: "/operations",
    },
    {
      key: "drift",
      title: "Drift found",
      value: String(drift.length),
      detail:
        data.realization.length === 0
          ? "no VEB read back yet"
          : drift.length > 0
            ? `on ${drift.map((r) => r.hostName).join(", ")}`
            : `${plural(data.realization.length, "VEB")} match policy`,
      tone: data.realization.length === 0 ? "muted" : drift.length > 0 ? "warn" : "ok",
      href: "/policies",
    },
  ];
}
