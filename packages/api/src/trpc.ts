import { initTRPC } from "@trpc/server";
import type { Actor } from "@nvi/core";
import { DomainError, authenticateHost } from "@nvi/core";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { ApiContext } from "./context.ts";
import { errorData, toTRPCError } from "./errors.ts";

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

/** Turns domain errors thrown anywhere below into their tRPC codes. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    throw toTRPCError(result.error.cause);
  }
  return result;
});

export const publicProcedure = t.procedure.use(domainErrors);

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
  if (!ctx.bearer) throw new DomainError("HOST_CREDENTIAL_INVALID", "send the host credential as `Authorization: Bearer nvh_…`");
  const host = await authenticateHost(ctx.deps, ctx.bearer);
  return next({ ctx: { ...ctx, host } });
});
