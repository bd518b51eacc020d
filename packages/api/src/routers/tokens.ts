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
import { router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { read, write } from "./procedures.ts";

export const tokenRouter = router({
  list: read(
    rest("GET", "/tokens", "tokens", "API tokens of the organization (never their secrets)"),
    z.void(),
    z.array(ApiTokenDto),
    listApiTokens,
  ),
  create: write(
    rest(
      "POST",
      "/tokens",
      "tokens",
      "Create an API token; the secret is returned once (tokens:write; a signed-in person, not a token)",
    ),
    CreateApiTokenInput,
    CreatedApiToken,
    createApiToken,
  ),
  revoke: write(
    rest("DELETE", "/tokens/{tokenId}", "tokens", "Revoke an API token; it stops working at once (tokens:write)"),
    RevokeApiTokenInput,
    ApiTokenDto,
    revokeApiToken,
  ),
});
