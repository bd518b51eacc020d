import {
  CloudDto,
  EnrollRequest,
  EnrollResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  HostDto,
  HostIdentity,
  JoinTokenDto,
} from "@nvi/contracts";
import {
  ApproveHostIdentityInput,
  approveHostIdentity,
  CloudRef,
  CreateCloudInput,
  CreateJoinTokenInput,
  CreatedJoinToken,
  HostRef,
  ListHostsInput,
  RevokeJoinTokenInput,
  RotateHostCredentialInput,
  createCloud,
  createJoinToken,
  deleteCloud,
  enrollHost,
  listClouds,
  listHosts,
  listJoinTokens,
  recordHeartbeat,
  removeHost,
  revokeJoinToken,
  rotateHostCredential,
} from "@nvi/core";
import { z } from "zod";
import { authedProcedure, hostProcedure, publicProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";

export const cloudRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/clouds", "clouds", "Clouds of the organization with their host counts"))
    .input(z.void())
    .output(z.array(CloudDto))
    .query(({ ctx }) => listClouds(ctx.core)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/clouds",
        "clouds",
        "Register a cloud: a Docker host, VM host or bare-metal group in one datacenter (clouds:write)",
      ),
    )
    .input(CreateCloudInput)
    .output(CloudDto)
    .mutation(({ ctx, input }) => createCloud(ctx.core, input)),
  delete: authedProcedure
    .meta(rest("DELETE", "/clouds/{cloudId}", "clouds", "Delete an empty cloud (clouds:write)"))
    .input(CloudRef)
    .output(z.object({ deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deleteCloud(ctx.core, input)),
});

export const joinTokenRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/clouds/{cloudId}/join-tokens", "clouds", "Join tokens of a cloud (never their secrets)"))
    .input(CloudRef)
    .output(z.array(JoinTokenDto))
    .query(({ ctx, input }) => listJoinTokens(ctx.core, input)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/clouds/{cloudId}/join-tokens",
        "clouds",
        "Create a join token; the join string for the agent is returned once (clouds:write)",
      ),
    )
    .input(CreateJoinTokenInput)
    .output(CreatedJoinToken)
    .mutation(({ ctx, input }) => createJoinToken(ctx.core, input, ctx.publicUrl)),
  revoke: authedProcedure
    .meta(rest("DELETE", "/join-tokens/{joinTokenId}", "clouds", "Revoke a join token (clouds:write)"))
    .input(RevokeJoinTokenInput)
    .output(JoinTokenDto)
    .mutation(({ ctx, input }) => revokeJoinToken(ctx.core, input)),
});

export const hostRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/hosts", "clouds", "Hosts, with status from heartbeats (online / stale / offline) and facts"))
    .input(ListHostsInput)
    .output(z.array(HostDto))
    .query(({ ctx, input }) => listHosts(ctx.core, input)),
  remove: authedProcedure
    .meta(
      rest("DELETE", "/hosts/{hostId}", "clouds", "Remove a host; its agent's credential stops working (clouds:write)"),
    )
    .input(HostRef)
    .output(z.object({ removed: z.literal(true) }))
    .mutation(({ ctx, input }) => removeHost(ctx.core, input)),
  rotateCredential: authedProcedure
    .meta(
      rest(
        "POST",
        "/hosts/{hostId}/rotate-credential",
        "clouds",
        "Rotate a host's credential: its agent gets a new one on its next heartbeat; the old one stops working once the agent uses the new one (owner/admin, clouds:write)",
      ),
    )
    .input(RotateHostCredentialInput)
    .output(z.object({ hostId: z.string(), rotationRequestedAt: z.iso.datetime() }))
    .mutation(({ ctx, input }) => rotateHostCredential(ctx.core, input)),
  approveIdentity: authedProcedure
    .meta(
      rest(
        "POST",
        "/hosts/{hostId}/approve-identity",
        "clouds",
        "Approve a host's refused identity claim (a re-installed machine: new datapath id, MAC or addresses); refused if another host holds any of them (owner/admin, clouds:write)",
      ),
    )
    .input(ApproveHostIdentityInput)
    .output(z.object({ hostId: z.string(), identity: HostIdentity }))
    .mutation(({ ctx, input }) => approveHostIdentity(ctx.core, input)),
});

/** What host agents call (outbound from the host); authenticated by join token, then by host credential. */
export const agentRouter = router({
  enroll: publicProcedure
    .meta(
      rest("POST", "/agent/enroll", "agent", "An agent trades a join token for its host identity and credential", {
        public: true,
      }),
    )
    .input(EnrollRequest)
    .output(EnrollResponse)
    .mutation(({ ctx, input }) => enrollHost(ctx.deps, input, ctx.sourceIp)),
  heartbeat: hostProcedure
    .meta(
      rest(
        "POST",
        "/agent/heartbeat",
        "agent",
        "An agent reports it is alive, with fresh host facts (host credential); a changed or conflicting identity claim is refused (409) and waits for approval",
      ),
    )
    .input(HeartbeatRequest)
    .output(HeartbeatResponse)
    .mutation(({ ctx, input }) => recordHeartbeat(ctx.deps, ctx.host, input.facts, input.csr)),
});
