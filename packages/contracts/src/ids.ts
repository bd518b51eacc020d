import { z } from "zod";

/**
 * Every id we mint is `<prefix>_<20 base62 chars>`. The prefix tells a human (and a
 * log reader) what kind of thing an id names; the brand stops a VpcId being passed
 * where a TokenId is expected. Ids are parsed once at the edge, then trusted.
 */
export const ID_PREFIXES = {
  organization: "org",
  user: "usr",
  session: "ses",
  account: "acc",
  verification: "ver",
  membership: "mem",
  invitation: "inv",
  apiToken: "tok",
  auditEvent: "aud",
  cloud: "cld",
  joinToken: "jtk",
  host: "host",
  vpc: "vpc",
  subnet: "sn",
  instance: "inst",
  operation: "op",
  hostCommand: "hcmd",
  group: "grp",
  policyRule: "rule",
  denyRule: "deny",
  peering: "pcx",
  sshKey: "sshk",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;
export const ID_BODY_LENGTH = 20;

function idSchema<K extends IdKind>(kind: K) {
  const pattern = new RegExp(`^${ID_PREFIXES[kind]}_[0-9A-Za-z]{${ID_BODY_LENGTH}}$`);
  return z
    .string()
    .regex(pattern, { message: `must be a ${kind} id (${ID_PREFIXES[kind]}_…)` })
    .brand<K>();
}

export const OrganizationId = idSchema("organization");
export type OrganizationId = z.infer<typeof OrganizationId>;
export const UserId = idSchema("user");
export type UserId = z.infer<typeof UserId>;
export const MembershipId = idSchema("membership");
export type MembershipId = z.infer<typeof MembershipId>;
export const InvitationId = idSchema("invitation");
export type InvitationId = z.infer<typeof InvitationId>;
export const ApiTokenId = idSchema("apiToken");
export type ApiTokenId = z.infer<typeof ApiTokenId>;
export const AuditEventId = idSchema("auditEvent");
export type AuditEventId = z.infer<typeof AuditEventId>;

export function isIdOf(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`) && value.length === ID_PREFIXES[kind].length + 1 + ID_BODY_LENGTH;
}
export const VpcId = idSchema("vpc");
export type VpcId = z.infer<typeof VpcId>;
export const SubnetId = idSchema("subnet");
export type SubnetId = z.infer<typeof SubnetId>;
export const InstanceId = idSchema("instance");
export type InstanceId = z.infer<typeof InstanceId>;
export const OperationId = idSchema("operation");
export type OperationId = z.infer<typeof OperationId>;
export const HostCommandId = idSchema("hostCommand");
export type HostCommandId = z.infer<typeof HostCommandId>;
export const GroupId = idSchema("group");
export type GroupId = z.infer<typeof GroupId>;
export const PolicyRuleId = idSchema("policyRule");
export type PolicyRuleId = z.infer<typeof PolicyRuleId>;
export const DenyRuleId = idSchema("denyRule");
export type DenyRuleId = z.infer<typeof DenyRuleId>;
export const PeeringId = idSchema("peering");
export type PeeringId = z.infer<typeof PeeringId>;

/** The branded id type of a kind (`IdOf<"vpc">` is `VpcId`). */
export type IdOf<K extends IdKind> = z.infer<ReturnType<typeof idSchema<K>>>;

/**
 * An id in a request: branded as the kind it names and bounded in size, its shape not judged, so a
 * malformed id, an unknown one and another tenant's all get the same NOT_FOUND (the answer tells
 * nothing). Ids we read back from our own rows are trusted as they are (`asId`).
 */
export function idRef<K extends IdKind>(_kind: K) {
  return z.string().min(1).max(40).brand<K>();
}

/** An id read from our own rows, typed as the kind it is (no check: we minted it). */
export function asId<K extends IdKind>(_kind: K, value: string): IdOf<K> {
  return value as IdOf<K>;
}

export const CloudId = idSchema("cloud");
export type CloudId = z.infer<typeof CloudId>;
export const HostId = idSchema("host");
export type HostId = z.infer<typeof HostId>;
export const JoinTokenId = idSchema("joinToken");
export type JoinTokenId = z.infer<typeof JoinTokenId>;
