import { TRPCError } from "@trpc/server";
import { DomainError } from "@nvi/core";

/** The one seam where domain errors become tRPC (and so HTTP) errors. */
export function toTRPCError(error: DomainError): TRPCError {
  return new TRPCError({ code: error.kind, message: error.message, cause: error });
}

export interface ErrorData {
  domainCode: string | null;
  field: string | null;
  missingScopes: string[] | null;
  retryAfterSeconds: number | null;
  issues: { path: string; message: string }[] | null;
}

type IssueLike = { path: PropertyKey[]; message: string };

/** Adds our code and the fields at fault to every error the API returns. */
export function errorData(error: TRPCError): ErrorData {
  const cause = error.cause;
  const domain = cause instanceof DomainError ? cause : null;
  const zodIssues =
    cause && cause.name === "ZodError" && Array.isArray((cause as { issues?: unknown }).issues)
      ? (cause as unknown as { issues: IssueLike[] }).issues.map((i) => ({
          path: i.path.map(String).join("."),
          message: i.message,
        }))
      : null;
  return {
    domainCode: domain?.code ?? (zodIssues ? "VALIDATION_FAILED" : null),
    field: domain?.details.field ?? zodIssues?.[0]?.path ?? null,
    missingScopes: domain?.details.missing ?? null,
    retryAfterSeconds: domain?.details.retryAfterSeconds ?? null,
    issues: zodIssues,
  };
}
