/**
 * The one error type the domain throws. Each code belongs to a kind; the API maps
 * kinds to tRPC/HTTP status at one seam (packages/api/src/errors.ts).
 */
export const ERROR_KINDS = {
  VALIDATION_FAILED: "BAD_REQUEST",
  WEAK_PASSWORD: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  TOKEN_MALFORMED: "UNAUTHORIZED",
  TOKEN_UNKNOWN: "UNAUTHORIZED",
  TOKEN_EXPIRED: "UNAUTHORIZED",
  TOKEN_REVOKED: "UNAUTHORIZED",
  MISSING_SCOPE: "FORBIDDEN",
  ROLE_TOO_LOW: "FORBIDDEN",
  USER_SESSION_REQUIRED: "FORBIDDEN",
  CROSS_SITE_REQUEST: "FORBIDDEN",
  LAST_OWNER: "CONFLICT",
  ALREADY_MEMBER: "CONFLICT",
  INVITATION_NOT_PENDING: "CONFLICT",
  INVITATION_EMAIL_MISMATCH: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  DUPLICATE_NAME: "CONFLICT",
  DUPLICATE_KEY: "CONFLICT",
  CHANGED_CONCURRENTLY: "CONFLICT",
  CIDR_OVERLAP: "CONFLICT",
  VPC_NOT_EMPTY: "CONFLICT",
  SUBNET_FULL: "CONFLICT",
  ADDRESS_IN_USE: "CONFLICT",
  CLOUD_NOT_EMPTY: "CONFLICT",
  HOST_ALREADY_ENROLLED: "CONFLICT",
  JOIN_TOKEN_INVALID: "UNAUTHORIZED",
  HOST_CREDENTIAL_INVALID: "UNAUTHORIZED",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  HOST_UNAVAILABLE: "PRECONDITION_FAILED",
  QUOTA_EXCEEDED: "FORBIDDEN",
  INSTANCE_STATE: "CONFLICT",
  OPERATION_STATE: "CONFLICT",
  HOST_NOT_EMPTY: "CONFLICT",
  HOST_IDENTITY_CONFLICT: "CONFLICT",
  NO_IDENTITY_CLAIM: "CONFLICT",
  // a dependency outage: nothing was done, the same request can be sent again (503 + Retry-After)
  DATABASE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  QUEUE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  GATEWAY_ADDRESS_TAKEN: "CONFLICT",
  NO_GATEWAY: "CONFLICT",
  LAST_GATEWAY: "CONFLICT",
  HOST_NOT_IN_CLOUD: "BAD_REQUEST",
  NOT_A_GATEWAY_CLOUD: "CONFLICT",
  SAME_CLOUD: "BAD_REQUEST",
  INSTANCE_POOL_FULL: "CONFLICT",
  // a limit per organization (clouds/org-limits.ts), like QUOTA_EXCEEDED: waiting will not lift it
  HOST_QUOTA_REACHED: "FORBIDDEN",
  INSTANCE_BLOCK_QUOTA_REACHED: "FORBIDDEN",
} as const;

export type ErrorCode = keyof typeof ERROR_KINDS;
export type ErrorKind = (typeof ERROR_KINDS)[ErrorCode];

export class DomainError extends Error {
  readonly kind: ErrorKind;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { field?: string; retryAfterSeconds?: number; missing?: string[] } = {},
  ) {
    super(message);
    this.name = "DomainError";
    this.kind = ERROR_KINDS[code];
  }
}

/** "Not found" for anything outside the caller's organization too: never a leak. */
export function notFound(what: string): DomainError {
  return new DomainError("NOT_FOUND", `${what} not found`);
}
