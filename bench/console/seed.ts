/**
 * A large organization for the console (issue 17: "legible at 100 hosts", "1,000 rows stay fast",
 * "Audit with 10,000 entries"): seeds into the organization of the person with `email`, straight
 * into Postgres (Prisma `createMany`): 4 clouds in 2 datacenters (one pair linked through gateway
 * hosts), `hosts` hosts, one VPC with a subnet per cloud, `instances` instances spread over the hosts
 * (six of them labelled tier=web or tier=db), groups default/web/db (unplugged: the topology test plugs them), and
 * `audit` audit events about the instances, and `operations` finished operations on the first instances
 * (succeeded, failed and cancelled in turn: the Operations page's every tone, without a worker).
 *
 *   node --import tsx bench/console/seed.ts <email> [hosts=100] [instances=1000] [audit=10000] [operations=0]
 */
import { createCoreDeps, type CoreDeps } from "../../packages/core/src/index.ts";
import { hostFacts } from "../../packages/core/src/test-support/kit.ts";

export interface Seeded {
  orgId: string;
  hosts: number;
  instances: number;
  audit: number;
  operations: number;
  ms: number;
}

const ACTIONS = ["instance.launch", "instance.stop", "instance.start", "instance.terminate", "policy.plug"];

async function insert(deps: CoreDeps, model: string, rows: object[]): Promise<void> {
  for (let k = 0; k < rows.length; k += 1000)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- one loop over the models
    await (deps.db as any)[model].createMany({ data: rows.slice(k, k + 1000) });
}

export async function seedConsole(
  deps: CoreDeps,
  email: string,
  o: { hosts?: number; instances?: number; audit?: number; operations?: number } = {},
): Promise<Seeded> {
  const t0 = performance.now();
  const { hosts: nHosts = 100, instances: nInstances = 1000, audit: nAudit = 10_000, operations: nOps = 0 } = o;
  const user = await deps.db.user.findUniqueOrThrow({ where: { email }, include: { memberships: true } });
  const orgId = user.memberships[0]!.orgId;
  const id = (k: Parameters<CoreDeps["newId"]>[0]) => deps.newId(k);
  const tag = Math.random().toString(36).slice(2, 6);
  const rnd = () => 1 + Math.floor(Math.random() * 250);
  const clouds = [
    { name: "scale-a", datacenter: "dc1", interconnect: "routed" },
    { name: "scale-b", datacenter: "dc1", interconnect: "routed" },
    { name: "scale-gw-1", datacenter: "dc2", interconnect: "gateway" },
    { name: "scale-gw-2", datacenter: "dc3", interconnect: "gateway" },
  ].map((c) => ({ id: id("cloud"), orgId, kind: "baremetal" as const, region: "eu", ...c }));
  const soon = new Date(Date.now() + 86_400_000); // "online" for a day: nothing heartbeats for them
  const hosts = Array.from({ length: nHosts }, (_, k) => {
    const cloud = clouds[k % clouds.length]!;
    const name = `${cloud.name}-h${String(k).padStart(3, "0")}`;
    return {
      id: id("host"),
      orgId,
      cloudId: cloud.id,
      name,
      facts: hostFacts(name),
      lastSeenAt: k % 17 === 5 ? new Date(0) : soon,
      // the first host of each gateway cloud is its gateway (public addresses are unique console-wide)
      gatewayPublicAddress:
        cloud.interconnect === "gateway" && k < clouds.length ? `100.${64 + (rnd() % 60)}.${rnd()}.${rnd()}` : null,
    };
  });
  const vpc = { id: id("vpc"), orgId, name: `scale-${tag}`, cidr: "10.200.0.0/16", allowOverlap: true };
  const subnets = clouds.map((c, k) => ({
    id: id("subnet"),
    orgId,
    vpcId: vpc.id,
    cloudId: c.id,
    name: c.name,
    cidr: `10.200.${k * 4}.0/22`,
    gateway: `10.200.${k * 4}.1`,
  }));
  const taken = clouds.map(() => 2); // the next free address of each cloud's subnet (.0 and .1 are not)
  const instances = Array.from({ length: nInstances }, (_, k) => {
    const host = hosts[k % hosts.length]!;
    const c = clouds.findIndex((x) => x.id === host.cloudId);
    const n = taken[c]!++;
    return {
      id: id("instance"),
      orgId,
      vpcId: vpc.id,
      subnetId: subnets[c]!.id,
      hostId: host.id,
      name: `vm-${String(k).padStart(4, "0")}`,
      runtime: "netns" as const,
      address: `10.200.${c * 4 + Math.floor(n / 256)}.${n % 256}`,
      mac: `0a:c8:00:00:${((k >> 8) & 255).toString(16).padStart(2, "0")}:${(k & 255).toString(16).padStart(2, "0")}`,
      status: k % 10 === 9 ? ("stopped" as const) : ("running" as const),
      // a few web and db instances (what a plug's preview lists stays short); the rest in neither
      labels: { tier: k < 6 ? (k % 2 === 0 ? "web" : "db") : "batch" },
      createdBy: "bench-seed",
      createdAt: new Date(Date.now() - (nInstances - k) * 1000),
    };
  });
  const groups = [
    { name: "default", matchLabels: {} },
    { name: "web", matchLabels: { tier: "web" } },
    { name: "db", matchLabels: { tier: "db" } },
  ].map((g) => ({ id: id("group"), orgId, vpcId: vpc.id, ...g }));
  const audit = Array.from({ length: nAudit }, (_, k) => {
    const target = instances[k % Math.max(1, instances.length)];
    return {
      id: id("auditEvent"),
      orgId,
      at: new Date(Date.now() - (nAudit - k) * 60_000),
      actorType: "user" as const,
      actorId: user.id,
      actorLabel: email,
      action: ACTIONS[k % ACTIONS.length]!,
      targetType: "instance",
      targetId: target?.id ?? null,
      sourceIp: "127.0.0.1",
    };
  });
  const FINISHED = ["succeeded", "failed", "cancelled"] as const;
  const operations = instances.slice(0, nOps).map((inst, k) => {
    const status = FINISHED[k % FINISHED.length]!;
    const at = new Date(Date.now() - (nOps - k) * 60_000);
    const step = status === "succeeded" ? "done" : status === "failed" ? "failed" : "skipped";
    return {
      id: id("operation"),
      orgId,
      kind: "instance.launch",
      targetType: "instance",
      targetId: inst.id,
      status,
      progress: status === "succeeded" ? 100 : 50,
      steps: [
        {
          name: "start on host",
          status: step,
          detail: status === "failed" ? "seeded failure" : null,
          at: at.toISOString(),
        },
      ],
      error: status === "failed" ? "seeded failure" : null,
      requestedBy: user.id,
      enqueuedAt: at,
      createdAt: at,
      startedAt: at,
      finishedAt: at,
    };
  });
  await insert(deps, "cloud", clouds);
  await insert(deps, "host", hosts);
  await insert(deps, "vpc", [vpc]);
  await insert(deps, "subnet", subnets);
  await insert(deps, "instance", instances);
  await insert(
    deps,
    "ipAllocation",
    instances.map((i) => ({ subnetId: i.subnetId, address: i.address, holderId: i.id })),
  );
  await insert(deps, "group", groups);
  await insert(deps, "auditEvent", audit);
  await insert(deps, "operation", operations);
  return {
    orgId,
    hosts: nHosts,
    instances: nInstances,
    audit: nAudit,
    operations: operations.length,
    ms: Math.round(performance.now() - t0),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [email, hosts, instances, audit, operations] = process.argv.slice(2);
  if (!email) throw new Error("usage: seed.ts <email> [hosts] [instances] [audit]");
  const deps = createCoreDeps(process.env.DATABASE_URL ?? "");
  const r = await seedConsole(deps, email, {
    hosts: Number(hosts ?? 100),
    instances: Number(instances ?? 1000),
    audit: Number(audit ?? 10_000),
    operations: Number(operations ?? 0),
  });
  console.log(`seeded ${JSON.stringify(r)}`);
  await deps.db.$disconnect();
}
