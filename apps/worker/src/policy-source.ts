import { loadPolicy, type CoreDeps } from "@nvi/core";
import type { PolicySource } from "./policy-state.ts";

/** Postgres as the policy's source: one organization at a time, its version read first. */
export function dbPolicySource(deps: CoreDeps): PolicySource {
  return {
    load: async (orgId, known) => {
      // the version first: a change committed meanwhile shows as a newer one, and the backstop reads again
      const version =
        known ??
        (await deps.db.organization.findUnique({ where: { id: orgId }, select: { policyVersion: true } }))
          ?.policyVersion ??
        -1;
      // one statement: the organization, its active peers and everything of theirs that decides its pairs
      const p = await loadPolicy(deps.db, [orgId]);
      return {
        version,
        snapshot: p.snapshot,
        instances: p.instances,
        orgIds: p.orgIds ?? [],
      };
    },
    versions: async () =>
      new Map(
        (await deps.db.organization.findMany({ select: { id: true, policyVersion: true } })).map((o) => [
          o.id,
          o.policyVersion,
        ]),
      ),
  };
}
