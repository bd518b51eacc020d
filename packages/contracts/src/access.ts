import { z } from "zod";

/** The areas an API token (or a member's role) can be granted access to. */
export const AREAS = ["clouds", "vpcs", "instances", "policies", "tokens", "members", "audit"] as const;
export const Area = z.enum(AREAS);
export type Area = z.infer<typeof Area>;

export const ACCESS_LEVELS = ["read", "write"] as const;
export const AccessLevel = z.enum(ACCESS_LEVELS);
export type AccessLevel = z.infer<typeof AccessLevel>;

/** `vpcs:read`, `vpcs:write`… `write` implies `read` of the same area. */
export type Scope = `${Area}:${AccessLevel}`;
export const ALL_SCOPES: readonly Scope[] = AREAS.flatMap((area) =>
  ACCESS_LEVELS.map((level): Scope => `${area}:${level}`),
);
export const Scope = z.enum(ALL_SCOPES as [Scope, ...Scope[]]);

/** Organization roles, strongest first. */
export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;
