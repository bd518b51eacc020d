import { asId, type HostFacts } from "@nvi/contracts";
import {
  createCloud,
  createJoinToken,
  createVpc,
  enrollHost,
  ensurePersonalOrganization,
  resolveUserActor,
  type CoreDeps,
  type Ctx,
} from "@nvi/core";
import { freeIdentity, hostFacts, type randomIdentity } from "@nvi/core/test-support";

/**
 * The worker's integration-test kit: a tenant with a cloud, a VPC (with its default group and
 * default → default rule) and a subnet, one enrolled host with its own fabric identity, and
 * running instances on that host's VEB ports, written straight into Postgres.
 */
const rnd = (n: number): number => Math.floor(Math.random() * n);
export const hex2 = (n: number): string => n.toString(16).padStart(2, "0");
export type Identity = ReturnType<typeof randomIdentity>;
export const facts = (hostname: string, id: Partial<Identity>): HostFacts => hostFacts(hostname, id);

export interface TenantHost {
  ctx: Ctx;
  hostId: string;
  cloudId: string;
  credential: string;
  id: Identity;
  subnetId: string;
  vpcId: string;
}

/** A tenant with a cloud, a VPC with a subnet there, and one enrolled host with its own identity. */
export async function tenantWithHost(deps: CoreDeps, tag: string): Promise<TenantHost> {
  const user = await deps.db.user.create({
    data: { id: deps.newId("user"), email: `${tag}-${Date.now()}-${rnd(1e9)}@example.test`, name: tag },
  });
  const orgId = await ensurePersonalOrganization(deps, user, null);
  const ctx: Ctx = {
    ...deps,
    actor: await resolveUserActor(deps, { userId: user.id, preferredOrgId: orgId, sourceIp: null }),
  };
  const cloudId = (await createCloud(ctx, { name: `c-${tag}`, kind: "baremetal", region: "eu", datacenter: "dc1" })).id;
  const vpc = await createVpc(ctx, {
    name: `v-${tag}`,
    cidr: "10.20.0.0/16",
    allowOverlap: false,
    subnets: [{ cloudId, name: "sn", cidr: "10.20.1.0/24" }],
  });
  const subnet = await deps.db.subnet.findFirstOrThrow({ where: { vpcId: vpc.id } });
  const jt = await createJoinToken(
    ctx,
    { cloudId, reusable: false, usageLimit: null, expiresInHours: 1 },
    "http://console.test",
  );
  const id = await freeIdentity(deps.db);
  const enrolled = await enrollHost(deps, { joinToken: jt.joinString, facts: facts(`h-${tag}`, id) }, null);
  return {
    ctx,
    hostId: enrolled.hostId,
    cloudId,
    credential: enrolled.credential,
    id,
    subnetId: subnet.id,
    vpcId: vpc.id,
  };
}

/** A second host enrolled into the tenant's cloud (same VPC and subnet), with its own identity. */
export async function anotherHost(deps: CoreDeps, t: TenantHost, tag: string): Promise<TenantHost> {
  const { cloudId } = await deps.db.subnet.findUniqueOrThrow({ where: { id: t.subnetId } });
  const jt = await createJoinToken(
    t.ctx,
    { cloudId: asId("cloud", cloudId), reusable: false, usageLimit: null, expiresInHours: 1 },
    "http://console.test",
  );
  const id = await freeIdentity(deps.db);
  const enrolled = await enrollHost(deps, { joinToken: jt.joinString, facts: facts(`h-${tag}`, id) }, null);
  return { ...t, hostId: enrolled.hostId, credential: enrolled.credential, id };
}

/** A running instance on the host's VEB port, as the agent reported it. */
export async function running(
  deps: CoreDeps,
  t: TenantHost,
  name: string,
  ofport: number,
  octet: number,
): Promise<string> {
  const id = deps.newId("instance");
  await deps.db.instance.create({
    data: {
      id,
      orgId: t.ctx.actor.orgId,
      vpcId: t.vpcId,
      subnetId: t.subnetId,
      hostId: t.hostId,
      name,
      runtime: "netns",
      address: `10.20.1.${octet}`,
      mac: `02:aa:00:00:00:${hex2(octet)}`,
      status: "running",
      ofport,
      createdBy: t.ctx.actor.userId ?? "test",
    },
  });
  return id;
}

export const dpid = (hex: string): bigint => BigInt(`0x${hex}`);
