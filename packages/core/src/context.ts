import type { Role, Scope } from "@nvi/contracts";
import { createDb, type Db } from "@nvi/db";
import { systemClock } from "./clock.ts";
import { newId } from "./ids.ts";
import { TokenCache } from "./tokens/token-cache.ts";
import type { Clock } from "./clock.ts";
import type { IdGenerator } from "./ids.ts";

/** What one organization may hold of what every tenant shares (defaults and checks: clouds/org-limits.ts). */
export interface OrgLimits {
  /** hosts an organization may have enrolled (default 256) */
  hosts: number;
  /** /24s of the instance pool its hosts' blocks may touch, assigned or claimed by hand (default 256, 1/32 of the default pool) */
  poolBlocks: number;
}

/** A token bucket: calls that may come at once (a new host starts full), then calls a second it refills with. */
export interface Bucket {
  burst: number;
  perSecond: number;
}

/** How often a host's agent may call (defaults and checks: clouds/host-call-budget.ts). */
export interface HostCallBudgets {
  /** every call made with a host credential */
  call: Bucket;
  /** heartbeats whose claim takes the console-wide identity lock */
  claim: Bucket;
}

/** What every use-case needs from the outside world, injected (tests pass their own). */
export interface CoreDeps {
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  /** The secret the fabric CA's key is encrypted under (FABRIC_CA_SECRET, else AUTH_SECRET); without it no certificate is issued. */
  fabricSecret?: string;
  /** The key tenants' secrets are sealed under (NVI_SECRETS_KEY, else AUTH_SECRET; see secrets/sealed.ts); without it none is kept. */
  secretsKey?: string;
  /** Where hosts' instance blocks are assigned from (NVI_INSTANCE_POOL; default 100.96.0.0/11, see clouds/instance-blocks.ts). */
  instancePool?: string;
  /** What one organization may hold (NVI_ORG_HOST_LIMIT, NVI_ORG_POOL_BLOCK_LIMIT; defaults in clouds/org-limits.ts). */
  orgLimits?: Partial<OrgLimits>;
  /** How often a host's agent may call (defaults in clouds/host-call-budget.ts; tests pass small ones). */
  hostCallBudgets?: { [K in keyof HostCallBudgets]?: Partial<HostCallBudgets[K]> };
  /** API tokens this process has looked up (tokens/token-cache.ts): the console's processes keep one, others read Postgres each time. */
  tokenCache?: TokenCache;
}

/** Production wiring: one database pool per process, the system clock, random ids. */
export function createCoreDeps(
  databaseUrl: string,
  options: {
    fabricSecret?: string;
    secretsKey?: string;
    instancePool?: string;
    orgLimits?: Partial<OrgLimits>;
    /** keep looked-up API tokens in memory, told of revocations by Postgres (what a console process does) */
    cacheTokens?: boolean;
  } = {},
): CoreDeps {
  return {
    db: createDb(databaseUrl),
    clock: systemClock,
    newId,
    ...(options.fabricSecret ? { fabricSecret: options.fabricSecret } : {}),
    ...(options.secretsKey ? { secretsKey: options.secretsKey } : {}),
    ...(options.instancePool ? { instancePool: options.instancePool } : {}),
    ...(options.orgLimits ? { orgLimits: options.orgLimits } : {}),
    ...(options.cacheTokens ? { tokenCache: new TokenCache(databaseUrl) } : {}),
  };
}

/** Who is asking: a signed-in user or an API token, always inside one organization. */
export interface Actor {
  kind: "user" | "token";
  userId: string;
  email: string;
  name: string;
  orgId: string;
  role: Role;
  scopes: ReadonlySet<Scope>;
  tokenId: string | null;
  tokenName: string | null;
  sourceIp: string | null;
}

export interface Ctx extends CoreDeps {
  actor: Actor;
}

export function actorLabel(actor: Actor): string {
  return actor.kind === "token" ? `token ${actor.tokenName ?? actor.tokenId} (${actor.email})` : actor.email;
}
