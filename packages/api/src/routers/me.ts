import { MeDto, OrganizationDto } from "@nvi/contracts";
import { ALL_SCOPES } from "@nvi/contracts";
import {
  RenameOrganizationInput,
  getCurrentOrganization,
  listMyOrganizations,
  renameOrganization,
  type Ctx,
} from "@nvi/core";
import { z } from "zod";
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { read, write } from "./procedures.ts";

async function me(core: Ctx): Promise<z.input<typeof MeDto>> {
  const { actor } = core;
  const organization = await getCurrentOrganization(core);
  return {
    actor: actor.kind,
    userId: actor.userId,
    email: actor.email,
    name: actor.name,
    organization,
    scopes: ALL_SCOPES.filter((s) => actor.scopes.has(s)),
    tokenId: actor.tokenId,
  };
}

export const meRouter = router({
  get: read(
    rest("GET", "/me", "account", "Who is calling: user or token, organization, effective scopes"),
    z.void(),
    MeDto,
    me,
  ),
});

export const orgRouter = router({
  list: read(
    rest("GET", "/organizations", "organizations", "Organizations the caller belongs to"),
    z.void(),
    z.array(OrganizationDto),
    listMyOrganizations,
  ),
  get: read(
    rest("GET", "/organization", "organizations", "The caller's current organization"),
    z.void(),
    OrganizationDto,
    getCurrentOrganization,
  ),
  rename: write(
    rest("PATCH", "/organization", "organizations", "Rename the current organization (members:write)"),
    RenameOrganizationInput,
    OrganizationDto,
    renameOrganization,
  ),
});
