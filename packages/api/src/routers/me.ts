import { MeDto, OrganizationDto } from "@nvi/contracts";
import { ALL_SCOPES } from "@nvi/contracts";
import { RenameOrganizationInput, getCurrentOrganization, listMyOrganizations, renameOrganization } from "@nvi/core";
import { z } from "zod";
import { authedProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";

export const meRouter = router({
  get: authedProcedure
    .meta(rest("GET", "/me", "account", "Who is calling: user or token, organization, effective scopes"))
    .input(z.void())
    .output(MeDto)
    .query(async ({ ctx }) => {
      const { actor } = ctx.core;
      const organization = await getCurrentOrganization(ctx.core);
      return {
        actor: actor.kind,
        userId: actor.userId,
        email: actor.email,
        name: actor.name,
        organization,
        scopes: ALL_SCOPES.filter((s) => actor.scopes.has(s)),
        tokenId: actor.tokenId,
      };
    }),
});

export const orgRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/organizations", "organizations", "Organizations the caller belongs to"))
    .input(z.void())
    .output(z.array(OrganizationDto))
    .query(({ ctx }) => listMyOrganizations(ctx.core)),
  get: authedProcedure
    .meta(rest("GET", "/organization", "organizations", "The caller's current organization"))
    .input(z.void())
    .output(OrganizationDto)
    .query(({ ctx }) => getCurrentOrganization(ctx.core)),
  rename: authedProcedure
    .meta(rest("PATCH", "/organization", "organizations", "Rename the current organization (members:write)"))
    .input(RenameOrganizationInput)
    .output(OrganizationDto)
    .mutation(({ ctx, input }) => renameOrganization(ctx.core, input)),
});
