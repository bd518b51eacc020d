import { ALL_SCOPES, AREAS, type AccessLevel, type Area, type Role, type Scope } from "@nvi/contracts";
import { DomainError } from "./errors.ts";

const reads = AREAS.map((area) => `${area}:read` as Scope);
const resourceWrites: Scope[] = ["clouds:write", "vpcs:write", "instances:write", "policies:write", "tokens:write"];

/** What each role may do. Owners and admins differ only in who may touch owners. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  owner: ALL_SCOPES,
  admin: ALL_SCOPES,
  member: [...reads, ...resourceWrites],
  viewer: reads,
};

export const ROLE_RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

/** `write` implies `read` of the same area. */
export function grants(scopes: ReadonlySet<Scope>, area: Area, level: AccessLevel): boolean {
  return scopes.has(`${area}:${level}`) || (level === "read" && scopes.has(`${area}:write`));
}

/** Normalises a requested list: deduplicated, in canonical order. */
export function normaliseScopes(scopes: readonly Scope[]): Scope[] {
  const wanted = new Set(scopes);
  return ALL_SCOPES.filter((s) => wanted.has(s));
}

/** A token never does more than its creator's current role allows. */
export function effectiveTokenScopes(tokenScopes: readonly Scope[], creatorRole: Role): Set<Scope> {
  const allowed = new Set(ROLE_SCOPES[creatorRole]);
  return new Set(tokenScopes.filter((s) => allowed.has(s)));
}

export function assertScope(scopes: ReadonlySet<Scope>, area: Area, level: AccessLevel): void {
  if (!grants(scopes, area, level)) {
    throw new DomainError("MISSING_SCOPE", `this needs the ${area}:${level} scope`, { missing: [`${area}:${level}`] });
  }
}

/**
 * Credentials are minted by people, never by other credentials: an API token that
 * could create tokens or invitations could outlive its own expiry and revocation.
 */
export function assertPerson(actor: { kind: "user" | "token" }, what: string): void {
  if (actor.kind !== "user")
    throw new DomainError("USER_SESSION_REQUIRED", `${what} needs a signed-in person, not an API token`);
}

/** Scopes a creator asks for but does not hold themselves. */
export function scopesBeyondRole(requested: readonly Scope[], role: Role): Scope[] {
  const allowed = new Set(ROLE_SCOPES[role]);
  return requested.filter((s) => !allowed.has(s));
}
