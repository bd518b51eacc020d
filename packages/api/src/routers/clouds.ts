import {
  AddCloudGatewayInput,
  CloudGatewayDto,
  CloudGatewayRef,
  IdentityApprovalDto,
  CloudDto,
  CloudRegistryDto,
  CloudLinkDto,
  CredentialRotationDto,
  DeletedDto,
  EnrollRequest,
  EnrollResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  HostDto,
  HostGatewayDto,
  JoinTokenDto,
  SetHostGatewayInput,
  SetCloudLinkModeInput,
  RemovedDto,
} from "@nvi/contracts";
import {
  ApproveHostIdentityInput,
  approveHostIdentity,
  addCloudGateway,
  listCloudGateways,
  removeCloudGateway,
  CloudRef,
  CloudRegistryRef,
  SetCloudRegistryInput,
  clearCloudRegistry,
  getCloudRegistry,
  setCloudRegistry,
  CreateCloudInput,
  CreateJoinTokenInput,
  CreatedJoinToken,
  HostPage,
  HostRef,
  ListHostsInput,
  PageHostsInput,
  pageHosts,
  RevokeJoinTokenInput,
  RotateHostCredentialInput,
  createCloud,
  createJoinToken,
  deleteCloud,
  enrollHost,
  listClouds,
  listCloudLinks,
  setCloudLinkMode,
  listHosts,
  setHostGateway,
  listJoinTokens,
  recordHeartbeat,
  removeHost,
  revokeJoinToken,
  rotateHostCredential,
} from "@nvi/core";
import { z } from "zod";
import { hostProcedure, publicProcedure, router } from "../trpc.ts";
import { rest } from "./meta.ts";
import { read, write } from "./procedures.ts";

export const cloudRouter = router({
  list: read(
    rest("GET", "/clouds", "clouds", "Clouds of the organization with their host counts"),
    z.void(),
    z.array(CloudDto),
    listClouds,
  ),
  links: read(
    rest(
      "GET",
      "/cloud-links",
      "clouds",
      "Links between gateway clouds: their mode (encrypted / direct) and state (encrypted / direct / down with the reason / no-gateway), round trip and path MTU",
    ),
    z.void(),
    z.array(CloudLinkDto),
    listCloudLinks,
  ),
  setLinkMode: write(
    rest(
      "PUT",
      "/clouds/{cloudId}/links/{peerCloudId}",
      "clouds",
      "How pairs between two gateway clouds cross: encrypted (WireGuard between their gateways, the default) or direct (a trusted direct link for a private interconnect that routes each gateway's instance block to it: no tunnel, no byte added, not encrypted). Pairs move to the new path within seconds (owner/admin, clouds:write)",
    ),
    SetCloudLinkModeInput,
    CloudLinkDto,
    setCloudLinkMode,
  ),
  gateways: read(
    rest(
      "GET",
      "/clouds/{cloudId}/gateways",
      "clouds",
      "A cloud's gateway hosts: public address, NAT, host status and each tunnel to another cloud's gateway (encrypted / down with the reason, round trip)",
    ),
    CloudRef,
    z.array(CloudGatewayDto),
    listCloudGateways,
  ),
  addGateway: write(
    rest(
      "POST",
      "/clouds/{cloudId}/gateways",
      "clouds",
      "Make one of the cloud's own hosts one more of its gateways, at a public address (on the host, a 1:1 NAT's, or a port-rewriting NAT's: nat); again for a gateway: a new address or NAT. A cloud may have any number; new connections spread over the healthy ones (owner/admin, clouds:write)",
    ),
    AddCloudGatewayInput,
    CloudGatewayDto,
    addCloudGateway,
  ),
  removeGateway: write(
    rest(
      "DELETE",
      "/clouds/{cloudId}/gateways/{hostId}",
      "clouds",
      "The host is no longer one of the cloud's gateways (it stays in the cloud); pairs through it move to the cloud's other gateways (owner/admin, clouds:write)",
    ),
    CloudGatewayRef,
    RemovedDto,
    removeCloudGateway,
  ),
  create: write(
    rest(
      "POST",
      "/clouds",
      "clouds",
      "Register a cloud: a Docker host, VM host or bare-metal group in one datacenter (clouds:write)",
    ),
    CreateCloudInput,
    CloudDto,
    createCloud,
  ),
  delete: write(
    rest("DELETE", "/clouds/{cloudId}", "clouds", "Delete an empty cloud (clouds:write)"),
    CloudRef,
    DeletedDto,
    deleteCloud,
  ),
  registry: read(
    rest(
      "GET",
      "/clouds/{cloudId}/registry",
      "clouds",
      "The registry the cloud's hosts pull container images from: server and username; the password only as set or not set",
    ),
    CloudRegistryRef,
    CloudRegistryDto,
    getCloudRegistry,
  ),
  setRegistry: write(
    rest(
      "PUT",
      "/clouds/{cloudId}/registry",
      "clouds",
      "Set the registry the cloud's hosts may pull from, with an optional account (the password is kept encrypted and never returned; a new server forgets the old password) (clouds:write)",
    ),
    SetCloudRegistryInput,
    CloudRegistryDto,
    setCloudRegistry,
  ),
  clearRegistry: write(
    rest(
      "DELETE",
      "/clouds/{cloudId}/registry",
      "clouds",
      "Forget the cloud's registry and its account: images must then already be on the hosts (clouds:write)",
    ),
    CloudRegistryRef,
    CloudRegistryDto,
    clearCloudRegistry,
  ),
});

export const joinTokenRouter = router({
  list: read(
    rest("GET", "/clouds/{cloudId}/join-tokens", "clouds", "Join tokens of a cloud (never their secrets)"),
    CloudRef,
    z.array(JoinTokenDto),
    listJoinTokens,
  ),
  create: write(
    rest(
      "POST",
      "/clouds/{cloudId}/join-tokens",
      "clouds",
      "Create a join token; the join string for the agent is returned once (clouds:write)",
    ),
    CreateJoinTokenInput,
    CreatedJoinToken,
    (core, input, api) => createJoinToken(core, input, api.publicUrl),
  ),
  revoke: write(
    rest("DELETE", "/join-tokens/{joinTokenId}", "clouds", "Revoke a join token (clouds:write)"),
    RevokeJoinTokenInput,
    JoinTokenDto,
    revokeJoinToken,
  ),
});

export const hostRouter = router({
  list: read(
    rest("GET", "/hosts", "clouds", "Hosts, with status from heartbeats (online / stale / offline) and facts"),
    ListHostsInput,
    z.array(HostDto),
    listHosts,
  ),
  page: read(
    rest(
      "GET",
      "/search/hosts",
      "clouds",
      "A page of hosts: search (name, fabric address), filters (cloud, status, gateway), sort and a cursor for the next page",
    ),
    PageHostsInput,
    HostPage,
    pageHosts,
  ),
  remove: write(
    rest("DELETE", "/hosts/{hostId}", "clouds", "Remove a host; its agent's credential stops working (clouds:write)"),
    HostRef,
    RemovedDto,
    removeHost,
  ),
  rotateCredential: write(
    rest(
      "POST",
      "/hosts/{hostId}/rotate-credential",
      "clouds",
      "Rotate a host's credential: its agent gets a new one on its next heartbeat; the old one stops working once the agent uses the new one (owner/admin, clouds:write)",
    ),
    RotateHostCredentialInput,
    CredentialRotationDto,
    rotateHostCredential,
  ),
  setGateway: write(
    rest(
      "POST",
      "/hosts/{hostId}/gateway",
      "clouds",
      "Make a host its cloud's gateway, reached by other clouds' gateways at a public address (on the host or a 1:1 NAT's); null: no longer a gateway (owner/admin, clouds:write)",
    ),
    SetHostGatewayInput,
    HostGatewayDto,
    setHostGateway,
  ),
  approveIdentity: write(
    rest(
      "POST",
      "/hosts/{hostId}/approve-identity",
      "clouds",
      "Approve a host's refused identity claim (a re-installed machine: new datapath id, MAC or addresses); refused if another host holds any of them (owner/admin, clouds:write)",
    ),
    ApproveHostIdentityInput,
    IdentityApprovalDto,
    approveHostIdentity,
  ),
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
