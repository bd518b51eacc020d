import { z } from "zod";
import { idRef } from "./ids.ts";
import { Role, Scope } from "./access.ts";

/** Shapes the API returns. Dates travel as ISO strings so REST and tRPC agree. */
const isoDate = z.iso.datetime();

export const OrganizationDto = z.object({
  id: idRef("organization"),
  name: z.string(),
  slug: z.string(),
  role: Role,
  createdAt: isoDate,
});
export type OrganizationDto = z.infer<typeof OrganizationDto>;

export const MeDto = z.object({
  actor: z.enum(["user", "token"]),
  userId: idRef("user"),
  email: z.string(),
  name: z.string(),
  organization: OrganizationDto,
  scopes: z.array(Scope),
  tokenId: idRef("apiToken").nullable(),
});
export type MeDto = z.infer<typeof MeDto>;

export const MemberDto = z.object({
  id: idRef("membership"),
  userId: idRef("user"),
  email: z.string(),
  name: z.string(),
  role: Role,
  joinedAt: isoDate,
});
export type MemberDto = z.infer<typeof MemberDto>;

export const InvitationDto = z.object({
  id: idRef("invitation"),
  role: Role,
  email: z.string().nullable(),
  createdAt: isoDate,
  expiresAt: isoDate,
  acceptedAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
  status: z.enum(["pending", "accepted", "revoked", "expired"]),
});
export type InvitationDto = z.infer<typeof InvitationDto>;

/** An invitation link's secret, to preview or accept it. */
export const InvitationSecret = z.object({ secret: z.string().min(1).max(100) });
export type InvitationSecret = z.infer<typeof InvitationSecret>;
/** Where accepting an invitation put the caller. */
export const AcceptedInvitationDto = z.object({ orgId: z.string(), role: Role });

/** The answer to a delete that leaves nothing to show. */
export const DeletedDto = z.object({ deleted: z.literal(true) });
/** The answer to removing a member or a host. */
export const RemovedDto = z.object({ removed: z.literal(true) });

export const ApiTokenDto = z.object({
  id: idRef("apiToken"),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(Scope),
  createdAt: isoDate,
  lastUsedAt: isoDate.nullable(),
  expiresAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
  createdBy: z.string(),
  status: z.enum(["active", "expired", "revoked"]),
});
export type ApiTokenDto = z.infer<typeof ApiTokenDto>;

/**
 * Every kind of object the audit log records a change to: the one list the core's audit writer is
 * typed by, the API's filter accepts and the console's "Target" filter offers.
 */
export const AUDIT_TARGET_TYPES = [
  "organization",
  "member",
  "invitation",
  "user",
  "token",
  "cloud",
  "join_token",
  "host",
  "vpc",
  "subnet",
  "instance",
  "operation",
  "group",
  "rule",
  "deny",
  "peering",
  "policy",
  "ssh_key",
] as const;
export const AuditTargetType = z.enum(AUDIT_TARGET_TYPES);
export type AuditTargetType = z.infer<typeof AuditTargetType>;

export const AuditEventDto = z.object({
  id: idRef("auditEvent"),
  at: isoDate,
  actorType: z.enum(["user", "token", "system", "anonymous"]),
  actorId: z.string().nullable(),
  actorLabel: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  /** the target's name (as it is, or as it was when last recorded, if it is gone); null if it has none */
  targetName: z.string().nullable(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  sourceIp: z.string().nullable(),
});
export type AuditEventDto = z.infer<typeof AuditEventDto>;
