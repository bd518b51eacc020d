/**
 * Seeds `n` organizations of background tenants straight into Postgres (Prisma `createMany`, a few
 * hundred rows per round trip): each with a cloud and a host (last seen long ago, so never on the
 * fabric), two VPCs with a subnet, groups `default`/`web`/`db`, rules default → default and
 * web → db tcp/5432, a deny entry and four running instances per VPC. Their policy is what the
 * worker's TSC reads beside the bench's own tenant. Seeded rows are marked by the slug prefix
 * `bench-seed-`; `unseed` removes them.
 *
 *   node --import tsx bench/policy/seed.ts 1000      (0 removes every seeded organization)
 */
import { createCoreDeps, type CoreDeps } from "../../packages/core/src/index.ts";

const PREFIX = "bench-seed-";

export async function unseed(deps: CoreDeps): Promise<void> {
  const orgs = (
    await deps.db.organization.findMany({ where: { slug: { startsWith: PREFIX } }, select: { id: true } })
  ).map((o) => o.id);
  if (orgs.length === 0) return;
  const inOrgs = { orgId: { in: orgs } };
  await deps.db.groupMember.deleteMany({ where: { group: inOrgs } });
  await deps.db.policyRule.deleteMany({ where: inOrgs });
  await deps.db.denyRule.deleteMany({ where: inOrgs });
  await deps.db.group.deleteMany({ where: inOrgs });
  await deps.db.instance.deleteMany({ where: inOrgs });
  await deps.db.subnet.deleteMany({ where: inOrgs });
  await deps.db.vpc.deleteMany({ where: inOrgs });
  await deps.db.host.deleteMany({ where: inOrgs });
  await deps.db.cloud.deleteMany({ where: inOrgs });
  await deps.db.organization.deleteMany({ where: { id: { in: orgs } } });
}

/** Seeds `n` organizations (after removing earlier seeded ones); returns how many rows went in. */
export async function seed(deps: CoreDeps, n: number): Promise<number> {
  await unseed(deps);
  const id = (k: Parameters<CoreDeps["newId"]>[0]) => deps.newId(k);
  const rows = {
    organization: [] as object[],
    cloud: [] as object[],
    host: [] as object[],
    vpc: [] as object[],
    subnet: [] as object[],
    group: [] as object[],
    policyRule: [] as object[],
    denyRule: [] as object[],
    instance: [] as object[],
  };
  const tag = Date.now().toString(36);
  for (let o = 0; o < n; o++) {
    const orgId = id("organization");
    rows.organization.push({ id: orgId, name: `seed ${o}`, slug: `${PREFIX}${tag}-${o}` });
    const cloudId = id("cloud");
    rows.cloud.push({ id: cloudId, orgId, name: "c", kind: "baremetal", region: "eu", datacenter: "dc9" });
    const hostId = id("host");
    rows.host.push({ id: hostId, orgId, cloudId, name: `seed-${o}`, facts: {}, lastSeenAt: new Date(0) });
    rows.denyRule.push({ id: id("denyRule"), orgId, srcLabels: { tier: "web" }, dstLabels: { tier: "admin" } });
    for (let v = 0; v < 2; v++) {
      const vpcId = id("vpc");
      rows.vpc.push({ id: vpcId, orgId, name: `v${v}`, cidr: `10.${v}.0.0/16`, allowOverlap: false });
      const subnetId = id("subnet");
      rows.subnet.push({
        id: subnetId,
        orgId,
        vpcId,
        cloudId,
        name: "s",
        cidr: `10.${v}.1.0/24`,
        gateway: `10.${v}.1.1`,
      });
      const [dflt, web, db] = [id("group"), id("group"), id("group")];
      rows.group.push(
        { id: dflt, orgId, vpcId, name: "default", matchLabels: {} },
        { id: web, orgId, vpcId, name: "web", matchLabels: { tier: "web" } },
        { id: db, orgId, vpcId, name: "db", matchLabels: { tier: "db" } },
      );
      rows.policyRule.push(
        { id: id("policyRule"), orgId, srcGroupId: dflt, dstGroupId: dflt, protocol: "any", ports: [] },
        {
          id: id("policyRule"),
          orgId,
          srcGroupId: web,
          dstGroupId: db,
          protocol: "tcp",
          ports: [{ from: 5432, to: 5432 }],
        },
      );
      for (let i = 0; i < 4; i++)
        rows.instance.push({
          id: id("instance"),
          orgId,
          vpcId,
          subnetId,
          hostId,
          name: `i${v}-${i}`,
          runtime: "netns",
          address: `10.${v}.1.${10 + i}`,
          mac: `0a:00:00:${v}:00:${(10 + i).toString(16)}`,
          status: "running",
          ofport: 10 + i,
          labels: { tier: i % 2 === 0 ? "web" : "db" },
          createdBy: "bench-seed",
        });
    }
  }
  let count = 0;
  for (const [model, list] of Object.entries(rows)) {
    for (let k = 0; k < list.length; k += 500) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- one loop over the models
      await (deps.db as any)[model].createMany({ data: list.slice(k, k + 500) });
      count += Math.min(500, list.length - k);
    }
  }
  return count;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
  const n = Number(process.argv[2] ?? "0");
  const t0 = performance.now();
  const count = n > 0 ? await seed(deps, n) : (await unseed(deps), 0);
  console.log(`seeded ${n} organizations (${count} rows) in ${Math.round(performance.now() - t0)} ms`);
  await deps.db.$disconnect();
}
