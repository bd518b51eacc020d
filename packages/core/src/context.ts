import type { Role, Scope } from "@nvi/contracts";
import { createDb, type Db } from "@nvi/db";
import { systemClock } from "./clock.ts";
import { newId } from "./ids.ts";
import type { Clock } from "./clock.ts";
import type { IdGenerator } from "./ids.ts";

/** What every use-case needs from the outside world, injected (tests pass their own). */
export interface CoreDeps {
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  /** The secret the fabric CA's key is encrypted under (FABRIC_CA_SECRET, else AUTH_SECRET); without it no certificate is issued. */
  fabricSecret?: string;
}

/** Production wiring: one database pool per process, the system clock, random ids. */
export function createCoreDeps(databaseUrl: string, options: { fabricSecret?: string } = {}): CoreDeps {
  return {
    db: createDb(databaseUrl),
    clock: systemClock,
    newId,
    ...(options.fabricSecret ? { fabricSecret: options.fabricSecret } : {}),
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
