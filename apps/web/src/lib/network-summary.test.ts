import type { HostDto, OperationDto, RealizationDto } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { networkSummary } from "./network-summary.ts";

const host = (status: HostDto["status"], o: Partial<HostDto> = {}) =>
  ({ status, identityClaim: null, fabricProblem: null, facts: { guards: null }, ...o }) as HostDto;
const op = (status: OperationDto["status"], kind = "instance.launch", targetName: string | null = null) =>
  ({ status, kind, targetName }) as OperationDto;
const veb = (hostName: string, stale = 0, missing = 0) => ({ hostName, stale, missing }) as RealizationDto;

describe("the Overview's state of the network", () => {
  it("says what needs attention and where to look", () => {
    const tiles = networkSummary({
      hosts: [host("online"), host("online"), host("offline"), host("online", { fabricProblem: "x" })],
      instances: { total: 4, byStatus: { failed: 1, running: 2, stopped: 1 } },
      operations: [op("failed", "instance.launch", "web-1"), op("running"), op("succeeded")],
      realization: [veb("h1"), veb("h2", 2, 0)],
    });
    const by = Object.fromEntries(tiles.map((t) => [t.key, t]));
    expect(by.hosts).toMatchObject({
      value: "3 online",
      detail: "1 offline or stale · 1 needs attention",
      tone: "bad",
    });
    expect(by.instances).toMatchObject({ value: "2 running", detail: "1 stopped · 1 failed", tone: "bad" });
    expect(by.operations).toMatchObject({
      value: "1",
      detail: "latest: instance.launch web-1 · 1 in progress",
      tone: "bad",
    });
    expect(by.drift).toMatchObject({ value: "1", detail: "on h2", tone: "warn", href: "/policies" });
  });

  it("a host whose agent reports a guard missing needs attention; one waiting for its block does not", () => {
    const guards = {
      datapath: "netdev",
      ports: { guard: "nftables-ingress", plugged: 2, unguarded: 0, unguardedNames: [] },
      fabric: { state: "active", reason: null },
      checkedAt: "2026-12-05T20:00:00.000Z",
    } as const;
    const facts = (g: unknown) => ({ facts: { guards: g } }) as Partial<HostDto>;
    const detail = (hosts: HostDto[]) =>
      networkSummary({ hosts, instances: { total: 0, byStatus: {} }, operations: [], realization: [] }).find(
        (t) => t.key === "hosts",
      );
    expect(detail([host("online", facts(guards))])).toMatchObject({ detail: "none offline", tone: "ok" });
    const waiting = { ...guards, fabric: { state: "waiting-for-block", reason: "no block" } };
    expect(detail([host("online", facts(waiting))])).toMatchObject({ tone: "ok" });
    const unguarded = { ...guards, ports: { ...guards.ports, unguarded: 1, unguardedNames: ["nvi-v1"] } };
    const missing = { ...guards, fabric: { state: "missing", reason: "nft: no such device" } };
    expect(detail([host("online", facts(unguarded)), host("online", facts(missing))])).toMatchObject({
      detail: "none offline · 2 need attention",
      tone: "bad",
    });
  });

  it("an empty organization is told so, not alarmed", () => {
    const tiles = networkSummary({ hosts: [], instances: { total: 0, byStatus: {} }, operations: [], realization: [] });
    expect(tiles.map((t) => [t.key, t.tone, t.detail])).toEqual([
      ["hosts", "muted", "no host enrolled yet"],
      ["instances", "muted", "none launched"],
      ["operations", "ok", "none"],
      ["drift", "muted", "no VEB read back yet"],
    ]);
  });
});
