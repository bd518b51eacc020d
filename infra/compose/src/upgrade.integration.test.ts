import { cp, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createCoreDeps,
  createSubnet,
  createVpc,
  listClouds,
  listGroups,
  listHosts,
  listRules,
  listVpcs,
  resolveUserActor,
  type CoreDeps,
  type Ctx,
} from "@nvi/core";
import { VpcId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exec, sql, withDb } from "./pg.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const MIGRATE = path.join(ROOT, "packages/db-migrate");
const SOURCE = process.env.DATABASE_URL;
/**
 * The newest migration of the previous release (the last `main` that landed, 2026-12-05 morning).
 * Move it forward when a release lands: the test then upgrades from that one.
 */
const PREVIOUS_RELEASE = "20261205074903_fabric_ca";
/** the fixture's owner and organization */
const USER = "usr_Upgr4deUsr000000000a";
const ORG = "org_Upgr4deOrg000000000a";
const OLD_VPC = VpcId.parse("vpc_Upgr4deVpc000000000a");

/** `prisma migrate deploy` as `pnpm db:deploy` runs it, with the migrations from `dir`. */
const deploy = (url: string, config?: string) =>
  exec("pnpm", ["exec", "prisma", "migrate", "deploy", ...(config ? ["--config", config] : [])], {
    cwd: MIGRATE,
    env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" },
  });

/**
 * Issue 16, upgrades: a database made by the previous release (its migrations, and rows written
 * with its columns only: `fixtures/previous-release.sql`) is brought up to this release by the same
 * `prisma migrate deploy` the console runs on start; then this release's code reads and writes it.
 */
describe.skipIf(!SOURCE)("an upgrade from the previous release's database", () => {
  const scratch = `nvi_upgrade_${Date.now().toString(36)}`;
  let dir: string;
  let url: string;
  let deps: CoreDeps;
  let ctx: Ctx;
  let before = 0;
  let upgraded = "";
  const applied = async () => sql(url, "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL");

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "nvi-upgrade-"));
    url = withDb(SOURCE!, scratch);
    await sql(SOURCE!, `CREATE DATABASE ${scratch}`);
    // the previous release: its migrations only (byte for byte the same files, so the same checksums)
    const all = (await readdir(path.join(ROOT, "prisma/migrations"))).filter((m) => /^\d{14}_/.test(m)).sort();
    expect(all).toContain(PREVIOUS_RELEASE);
    const previous = all.filter((m) => m <= PREVIOUS_RELEASE);
    for (const m of [...previous, "migration_lock.toml"])
      await cp(path.join(ROOT, "prisma/migrations", m), path.join(dir, "migrations", m), { recursive: true });
    const config = path.join(MIGRATE, `.upgrade-${process.pid}.config.ts`);
    const shipped = await import("node:fs/promises").then((fs) =>
      fs.readFile(path.join(MIGRATE, "prisma.config.ts"), "utf8"),
    );
    await writeFile(config, shipped.replace('"../../prisma/migrations"', JSON.stringify(path.join(dir, "migrations"))));
    try {
      await deploy(url, config);
    } finally {
      await rm(config, { force: true });
    }
    await exec("psql", [
      "-qX",
      "-v",
      "ON_ERROR_STOP=1",
      url,
      "-f",
      path.join(import.meta.dirname, "fixtures/previous-release.sql"),
    ]);
    // this release starts: `prisma migrate deploy`, as the console runs it
    before = Number(await applied());
    upgraded = (await deploy(url)).stdout;
    deps = createCoreDeps(url);
    ctx = { ...deps, actor: await resolveUserActor(deps, { userId: USER, preferredOrgId: ORG, sourceIp: null }) };
  }, 180_000);

  afterAll(async () => {
    await deps?.db.$disconnect();
    await sql(SOURCE!, `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("migrations run on start bring it to this release; a second start finds nothing to do", async () => {
    expect(upgraded).toMatch(/successfully applied/);
    const all = (await readdir(path.join(ROOT, "prisma/migrations"))).filter((m) => /^\d{14}_/.test(m));
    expect(Number(await applied())).toBe(all.length);
    expect(all.length).toBeGreaterThan(before);
    expect((await deploy(url)).stdout).toMatch(/No pending migrations/);
  }, 120_000);

  it("this release's code reads the old organization as it was, with the new settings at their defaults", async () => {
    expect(ctx.actor).toMatchObject({ orgId: ORG, role: "owner" });

    expect(await listClouds(ctx)).toEqual([expect.objectContaining({ name: "old-metal", interconnect: "routed" })]);
    const [host] = await listHosts(ctx, {});
    expect(host).toMatchObject({
      name: "old-host",
      gatewayPublicAddress: null,
      identity: { datapathId: "00000000000000aa", fabricAddress: "100.127.250.10", instanceBlock: "100.127.251.0/24" },
    });
    expect(host!.facts.wireguardPublicKey).toBeNull();
    // (the test that writes may have run first: old rows are looked up by name)
    expect((await listVpcs(ctx)).find((v) => v.name === "old-vpc")).toMatchObject({ underlayDscp: 0, subnetCount: 1 });
    expect(await listGroups(ctx, { vpcId: OLD_VPC })).toEqual([expect.objectContaining({ name: "web" })]);
    expect(await listRules(ctx, { vpcId: OLD_VPC })).toEqual([
      expect.objectContaining({ description: "https to web", protocol: "tcp" }),
    ]);
    const instance = await deps.db.instance.findUniqueOrThrow({ where: { id: "inst_Upgr4deInst00000000a" } });
    expect(instance).toMatchObject({ status: "running", address: "10.42.1.10", labels: { tier: "web" } });
    // a finished operation is never picked up by the outbox relay (it sends only queued ones)
    const done = await deps.db.operation.findUniqueOrThrow({ where: { id: "op_Upgr4deOp0000000000a" } });
    expect(done).toMatchObject({ status: "succeeded", enqueuedAt: null });
  });

  it("and writes to it: a new VPC and subnet beside the old ones, the old subnet's addresses still held", async () => {
    const vpc = await createVpc(ctx, { name: "new-vpc", cidr: "10.43.0.0/16", allowOverlap: false });
    expect(vpc.underlayDscp).toBe(0);
    const subnet = await createSubnet(ctx, {
      vpcId: vpc.id,
      cloudId: "cld_Upgr4deCld000000000a",
      name: "new-subnet",
      cidr: "10.43.1.0/24",
    } as Parameters<typeof createSubnet>[1]);
    expect(subnet.cidr).toBe("10.43.1.0/24");
    // the old VPC refuses an overlapping subnet as before: its rows are live, not just readable
    await expect(
      createSubnet(ctx, {
        vpcId: "vpc_Upgr4deVpc000000000a",
        cloudId: "cld_Upgr4deCld000000000a",
        name: "clash",
        cidr: "10.42.1.0/24",
      } as Parameters<typeof createSubnet>[1]),
    ).rejects.toMatchObject({ code: "CIDR_OVERLAP" });
  });
});
