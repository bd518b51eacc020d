import { AcceptedInvitationDto, InvitationDto, InvitationSecret, MemberDto, RemovedDto } from "@nvi/contracts";
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
import { z } from "zod";
import { publicProcedure, router, userProcedure } from "../trpc.ts";
import { rest } from "./meta.ts";
import { read, write } from "./procedures.ts";

export const memberRouter = router({
  list: read(
    rest("GET", "/members", "members", "Members of the organization and their roles"),
    z.void(),
    z.array(MemberDto),
    listMembers,
  ),
  setRole: write(
    rest("PATCH", "/members/{membershipId}", "members", "Change a member's role (members:write)"),
    SetMemberRoleInput,
    MemberDto,
    setMemberRole,
  ),
  remove: write(
    rest("DELETE", "/members/{membershipId}", "members", "Remove a member (members:write)"),
    RemoveMemberInput,
    RemovedDto,
    removeMember,
  ),
});

export const invitationRouter = router({
  list: read(
    rest("GET", "/invitations", "members", "Invitations of the organization"),
    z.void(),
    z.array(InvitationDto),
    listInvitations,
  ),
  create: write(
    rest(
      "POST",
      "/invitations",
      "members",
      "Invite someone; the link's secret is returned once (members:write; a signed-in person, not a token)",
    ),
    CreateInvitationInput,
    CreatedInvitation,
    createInvitation,
  ),
  revoke: write(
    rest("DELETE", "/invitations/{invitationId}", "members", "Revoke a pending invitation (members:write)"),
    RevokeInvitationInput,
    InvitationDto,
    revokeInvitation,
  ),
  preview: publicProcedure
    .meta(
      rest("GET", "/invitations/preview", "members", "What an invitation link offers, before signing in", {
        public: true,
      }),
    )
    .input(InvitationSecret)
    .output(InvitationPreview)
    .query(({ ctx, input }) => previewInvitation(ctx.deps, input.secret)),
  accept: userProcedure
    .meta(
      rest("POST", "/invitations/accept", "members", "Join the organization of an invitation (signed-in users only)"),
    )
    .input(InvitationSecret)
    .output(AcceptedInvitationDto)
    .mutation(({ ctx, input }) =>
      acceptInvitation(
        ctx.deps,
        { userId: ctx.user.userId, email: ctx.user.email, sourceIp: ctx.sourceIp },
        input.secret,
      ),
    ),
});
