import { ApiTokenDto } from "@nvi/contracts";
import {
  CreateApiTokenInput,
  CreatedApiToken,
  RevokeApiTokenInput,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from "@nvi/core";
import { z } from "zod";
import { authedProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";

export const tokenRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/tokens", "tokens", "API tokens of the organization (never their secrets)"))
    .input(z.void())
    .output(z.array(ApiTokenDto))
    .query(({ ctx }) => listApiTokens(ctx.core)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/tokens",
        "tokens",
        "Create an API token; the secret is returned once (tokens:write; a signed-in person, not a token)",
      ),
    )
    .input(CreateApiTokenInput)
    .output(CreatedApiToken)
    .mutation(({ ctx, input }) => createApiToken(ctx.core, input)),
  revoke: authedProcedure
    .meta(rest("DELETE", "/tokens/{tokenId}", "tokens", "Revoke an API token; it stops working at once (tokens:write)"))
    .input(RevokeApiTokenInput)
    .output(ApiTokenDto)
    .mutation(({ ctx, input }) => revokeApiToken(ctx.core, input)),
});
