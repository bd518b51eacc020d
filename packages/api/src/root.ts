import { auditRouter } from "./routers/audit.ts";
import { agentCommandRouter, instanceRouter, operationRouter } from "./routers/instances.ts";
import { agentRouter, cloudRouter, hostRouter, joinTokenRouter } from "./routers/clouds.ts";
import { meRouter, orgRouter } from "./routers/me.ts";
import { denyRouter, groupRouter, peeringRouter, policyRouter, ruleRouter } from "./routers/policy.ts";
import { agentSerialRouter, serialConsoleRouter } from "./routers/serial.ts";
import { reachabilityRouter } from "./routers/reachability.ts";
import { invitationRouter, memberRouter } from "./routers/members.ts";
import { sshKeyRouter } from "./routers/ssh-keys.ts";
import { tokenRouter } from "./routers/tokens.ts";
import { topologyRouter } from "./routers/topology.ts";
import { subnetRouter, vpcRouter } from "./routers/vpcs.ts";
import { createCallerFactory, router } from "./trpc.ts";

export const appRouter = router({
  me: meRouter,
  org: orgRouter,
  member: memberRouter,
  invitation: invitationRouter,
  token: tokenRouter,
  sshKey: sshKeyRouter,
  audit: auditRouter,
  cloud: cloudRouter,
  joinToken: joinTokenRouter,
  host: hostRouter,
  topology: topologyRouter,
  agent: agentRouter,
  vpc: vpcRouter,
  subnet: subnetRouter,
  instance: instanceRouter,
  operation: operationRouter,
  agentCommand: agentCommandRouter,
  serialConsole: serialConsoleRouter,
  agentSerial: agentSerialRouter,
  reachability: reachabilityRouter,
  group: groupRouter,
  rule: ruleRouter,
  deny: denyRouter,
  peering: peeringRouter,
  policy: policyRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
