import type { CoreDeps } from "@nvi/core";
import { testDeps } from "@nvi/core/test-support";
import { agentCall, agentFacts, joinStringFor, json, type Tenant } from "./fixtures.ts";

/** An agent of `tenant` enrolling on a new cloud with these facts (the answer is the test's to check). */
export async function enrollAgent(deps: CoreDeps, tenant: Tenant, facts: Record<string, unknown> = {}) {
  const hostname = `h-${Math.random().toString(36).slice(2, 8)}`;
  const joinToken = await joinStringFor(deps, tenant);
  const res = await agentCall(deps, "/agent/enroll", { joinToken, facts: agentFacts(hostname, facts) });
  return { res, hostname };
}

export interface EnrolledAgent {
  hostId: string;
  credential: string;
  hostname: string;
}

/** An agent of `tenant` enrolled: its id, credential and hostname (any other answer than 200 throws). */
export async function enrolledAgent(
  deps: CoreDeps,
  tenant: Tenant,
  facts: Record<string, unknown> = {},
): Promise<EnrolledAgent> {
  const { res, hostname } = await enrollAgent(deps, tenant, facts);
  if (res.status !== 200) throw new Error(`enrollment answered ${res.status}: ${JSON.stringify(await json(res))}`);
  return { ...((await json(res)) as { hostId: string; credential: string }), hostname };
}

/** The agent's heartbeat with these facts on top of its minimal ones. */
export const heartbeatOf = (deps: CoreDeps, host: EnrolledAgent, facts: Record<string, unknown> = {}) =>
  agentCall(deps, "/agent/heartbeat", { facts: agentFacts(host.hostname, facts) }, host.credential);

/**
 * Holds the console-wide identity lock (core's host-identity.ts) on a connection of its own, as a
 * slow claim elsewhere would, until the returned function is called.
 */
export async function holdIdentityLock(): Promise<() => Promise<void>> {
  const holder = testDeps();
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let taken!: () => void;
  const isTaken = new Promise<void>((r) => (taken = r));
  const done = holder.db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('nvi:host-identity'))`;
      taken();
      await released;
    },
    { timeout: 60_000 },
  );
  await isTaken;
  return async () => {
    release();
    await done;
    await holder.db.$disconnect();
  };
}

/** The answer of `p`, or "blocked" if it has none within `ms` (a call waiting for a lock). */
export const within = <T>(p: Promise<T>, ms = 8_000) =>
  Promise.race([p, new Promise<"blocked">((r) => setTimeout(() => r("blocked"), ms))]);
