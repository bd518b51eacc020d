import { initTRPC } from "@trpc/server";
import type { Actor } from "@nvi/core";
import { DomainError, authenticateHost, spendHostCall, unavailableError } from "@nvi/core";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { ApiContext } from "./context.ts";
import { errorData, toTRPCError } from "./errors.ts";
import { unstorableStringAt } from "./input-guard.ts";

const t = initTRPC
  .context<ApiContext>()
  .meta<OpenApiMeta>()
  .create({
    isDev: false,
    errorFormatter({ shape, error }) {
      const { stack: _stack, ...data } = shape.data as typeof shape.data & { stack?: string };
      const message = error.code === "INTERNAL_SERVER_ERROR" ? "internal error; it was logged" : shape.message;
      return { ...shape, message, data: { ...data, ...errorData(error) } };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Prisma errors that only a race can produce here (the row went away, or a row it
 * points at did, between our check and our write) become answers, not 500s.
 */
const RACE_CODES: Record<string, DomainError> = {
  P2025: new DomainError("NOT_FOUND", "it no longer exists (changed by another request)"),
  P2003: new DomainError(
    "CHANGED_CONCURRENTLY",
    "something it depends on was just removed or is still in use; reload and retry",
  ),
  P2002: new DomainError("CHANGED_CONCURRENTLY", "it was just created by another request; reload and retry"),
  // a transaction that waited too long for its turn (a burst on one subnet): nothing was written
  P2028: new DomainError("RATE_LIMITED", "too many changes at once here; nothing was done, retry in a moment", {
    retryAfterSeconds: 1,
  }),
};

/** Turns domain errors thrown anywhere below into their tRPC codes. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof DomainError) throw toTRPCError(cause);
  const race = RACE_CODES[(cause as { code?: string } | undefined)?.code ?? ""];
  if (race) throw toTRPCError(race);
  const outage = unavailableError(cause);
  if (outage) throw toTRPCError(outage);
  return result;
});

/** Every procedure's input (body, query and path parameters alike) is checked once, here, for strings no column can hold. */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const raw = await getRawInput().catch(() => undefined); // unparseable input is the input parser's to refuse
  const found = unstorableStringAt(raw);
  if (found) {
    throw new DomainError(
      "VALIDATION_FAILED",
      `${found.path || "input"}: text may not contain ${found.problem}`,
      found.path ? { field: found.path } : {},
    );
  }
  return next();
});

export const publicProcedure = t.procedure.use(domainErrors).use(storableInput);

/** Anyone authenticated: a browser session or an API token. */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const actor: Actor = await ctx.actor();
  return next({ ctx: { ...ctx, core: { ...ctx.deps, actor } } });
});

/** Only a signed-in person (accepting an invitation is not something a token does). */
export const userProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const user = await ctx.sessionUser();
  if (!user) throw new DomainError("USER_SESSION_REQUIRED", "this needs a signed-in user, not an API token");
  return next({ ctx: { ...ctx, user } });
});

/** A host agent, authenticated by the credential it got at enrollment (never a tenant token). */
export const hostProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.bearer)
    throw new DomainError("HOST_CREDENTIAL_INVALID", "send the host credential as `Authorization: Bearer nvh_…`");
  const host = await authenticateHost(ctx.deps, ctx.bearer);
  // every call spends from its host's budget (core's host-call-budget.ts): a looping host slows only itself
  await spendHostCall(ctx.deps, host.id, "call");
  return next({ ctx: { ...ctx, host } });
});
