import { InvitationDto, MemberDto } from "@nvi/contracts";
import {
  CreateInvitationInput,
  CreatedInvitation,
  InvitationPreview,
  RemoveMemberInput,
  RevokeInvitationInput,
  SetMemberRoleInput,
  acceptInvitation,
  createInvitation,
  listInvitations,
  listMembers,
  previewInvitation,
  removeMember,
  revokeInvitation,
  setMemberRole,
} from "@nvi/core";
import { Role } from "@nvi/contracts";
import { z } from "zod";
import { authedProcedure, publicProcedure, router, userProcedure } from "../trpc.ts";
import { rest } from "./meta.ts";

export const memberRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/members", "members", "Members of the organization and their roles"))
    .input(z.void())
    .output(z.array(MemberDto))
    .query(({ ctx }) => listMembers(ctx.core)),
  setRole: authedProcedure
    .meta(rest("PATCH", "/members/{membershipId}", "members", "Change a member's role (members:write)"))
    .input(SetMemberRoleInput)
    .output(MemberDto)
    .mutation(({ ctx, input }) => setMemberRole(ctx.core, input)),
  remove: authedProcedure
    .meta(rest("DELETE", "/members/{membershipId}", "members", "Remove a member (members:write)"))
    .input(RemoveMemberInput)
    .output(z.object({ removed: z.literal(true) }))
    .mutation(({ ctx, input }) => removeMember(ctx.core, input)),
});

const InviteSecret = z.object({ secret: z.string().min(1).max(100) });

export const invitationRouter = router({
  list: authedProcedure
    .meta(rest("GET", "/invitations", "members", "Invitations of the organization"))
    .input(z.void())
    .output(z.array(InvitationDto))
    .query(({ ctx }) => listInvitations(ctx.core)),
  create: authedProcedure
    .meta(
      rest(
        "POST",
        "/invitations",
        "members",
        "Invite someone; the link's secret is returned once (members:write; a signed-in person, not a token)",
      ),
    )
    .input(CreateInvitationInput)
    .output(CreatedInvitation)
    .mutation(({ ctx, input }) => createInvitation(ctx.core, input)),
  revoke: authedProcedure
    .meta(rest("DELETE", "/invitations/{invitationId}", "members", "Revoke a pending invitation (members:write)"))
    .input(RevokeInvitationInput)
    .output(InvitationDto)
    .mutation(({ ctx, input }) => revokeInvitation(ctx.core, input)),
  preview: publicProcedure
    .meta(
      rest("GET", "/invitations/preview", "members", "What an invitation link offers, before signing in", {
        public: true,
      }),
    )
    .input(InviteSecret)
    .output(InvitationPreview)
    .query(({ ctx, input }) => previewInvitation(ctx.deps, input.secret)),
  accept: userProcedure
    .meta(
      rest("POST", "/invitations/accept", "members", "Join the organization of an invitation (signed-in users only)"),
    )
    .input(InviteSecret)
    .output(z.object({ orgId: z.string(), role: Role }))
    .mutation(({ ctx, input }) =>
      acceptInvitation(
        ctx.deps,
        { userId: ctx.user.userId, email: ctx.user.email, sourceIp: ctx.sourceIp },
        input.secret,
      ),
    ),
});
