/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- REST answers are JSON, checked by the assertions */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { readState, stopAgent, vsctl, type HostState } from "@nvi/lab";
import { expect } from "vitest";
import type { Journey } from "./journey.ts";

/**
 * What the fault suite (`faults.integration.test.ts`) checks after each fault, and how it plays a
 * crashed agent: written once so each case says only what it breaks.
 */

/** The lab host of a datacenter (`dc1`, `dc2`). */
export const labHost = (j: Journey, dc: string): HostState => j.lab.hosts.find((h) => `dc${h.dc}` === dc)!;

/** SIGKILL to the host's agent (its process group), as a crash would; the lab forgets its pid. */
export async function killAgent(j: Journey, dc: string): Promise<void> {
  const h = labHost(j, dc);
  const pid = (await readState(j.lab.name))?.hosts.find((x) => x.id === h.id)?.pids.agent;
  if (pid !== undefined) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      process.kill(pid, "SIGKILL");
    }
  }
  await stopAgent(j.lab.name, h.id);
}

/**
 * The poll a crashed agent made just before it died: it took its pending commands (reporting what it
 * runs, as the real agent does) and never answered them.
 */
export async function pollAsDeadAgent(j: Journey, dc: string): Promise<string[]> {
  const h = labHost(j, dc);
  const credential = JSON.parse(await readFile(path.join(h.ovsDir, "agent", "state.json"), "utf8")).credential;
  const running = await j.stack.deps.db.instance.findMany({
    where: { hostId: j.hostIds[dc], status: "running", ofport: { not: null } },
  });
  const inventory = running.map((i) => ({ instanceId: i.id, ofport: i.ofport, mac: i.mac, address: i.address }));
  const res = await fetch(`${j.stack.apiUrl}/api/v1/agent/commands`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
    body: JSON.stringify({ inventory }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { commands: { id: string }[] }).commands.map((c) => c.id);
}

/** The operation ran its host's start exactly once (a re-run finds the command it issued). */
export async function ranOnce(j: Journey, operationId: string): Promise<void> {
  expect(await j.stack.deps.db.hostCommand.count({ where: { operationId, kind: "instance.start" } })).toBe(1);
}

/**
 * Instances, addresses and hosts agree: every instance not terminated holds exactly its one
 * address, a terminated one none; on each host, every running instance has exactly one VEB port,
 * and no VEB port belongs to an instance that is not this host's.
 */
export async function agree(j: Journey): Promise<void> {
  const db = j.stack.deps.db;
  const instances = await db.instance.findMany({ where: { orgId: j.stack.orgId } });
  for (const i of instances) {
    const held = await db.ipAllocation.findMany({ where: { holderId: i.id } });
    if (i.status === "terminated") expect(held, i.name).toEqual([]);
    else
      expect(
        held.map((a) => a.address),
        `${i.name} (${i.status})`,
      ).toEqual([i.address]);
  }
  for (const dc of Object.keys(j.hostIds)) {
    const h = labHost(j, dc);
    const ports = (await vsctl(h.ovsDir, "--columns=external_ids", "find", "interface"))
      .match(/nvi-instance="?(inst_[A-Za-z0-9]+)/g)
      ?.map((m) => m.replace(/^nvi-instance="?/, ""));
    const mine = instances.filter((i) => i.hostId === j.hostIds[dc]);
    for (const i of mine.filter((x) => x.status === "running"))
      expect(ports?.filter((p) => p === i.id).length, `${i.name}'s VEB port on ${dc}`).toBe(1);
    for (const p of ports ?? [])
      expect(
        mine.map((i) => i.id),
        `VEB port of ${p} on ${dc}`,
      ).toContain(p);
  }
}
