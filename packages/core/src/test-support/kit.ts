import { randomBytes } from "node:crypto";
import { asId, type CloudId, type HostFacts, type HostId } from "@nvi/contracts";
import { createCloud } from "../clouds/clouds.ts";
import { enrollHost, type AuthenticatedHost } from "../clouds/hosts.ts";
import { createJoinToken } from "../clouds/join-tokens.ts";
import { createCoreDeps, type CoreDeps, type Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { isProblem, overlaps, parseCidr } from "../net/cidr.ts";
import { ensurePersonalOrganization, resolveUserActor } from "../orgs/organizations.ts";
import { redisOperationQueue } from "../operations/queue.ts";

/**
 * The integration tests' kit, written once (`@nvi/core/test-support`): core on the test database, a
 * person with their own organization, a cloud with an enrolled host, host facts, and `codeOf`.
 * Every name it makes carries a random suffix, so suites sharing a database never collide.
 */

/** Core on the test database (`DATABASE_URL`, set by scripts/test.sh and each worktree's env). */
export function testDeps(): CoreDeps {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL must point at the test database (scripts/test.sh sets it)");
  return createCoreDeps(url, { secretsKey: process.env.NVI_SECRETS_KEY ?? "core-tests-sealed-secrets-key-0123456789" });
}

/** A real BullMQ operation queue on the test Redis (`REDIS_URL`), under its own prefix: nothing consumes it. */
export function testQueue(tag: string) {
  return redisOperationQueue(
    process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    `nvitest-${tag}-${Date.now().toString(36)}`,
  );
}

const unique = (): string => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** A person who signed up (`<tag>-…@example.test`): their personal organization, as its owner. */
export async function person(tag: string, deps: CoreDeps = testDeps()): Promise<Ctx> {
  const user = await deps.db.user.create({
    data: { id: deps.newId("user"), email: `${tag}-${unique()}@example.test`, name: tag },
  });
  const orgId = await ensurePersonalOrganization(deps, user, null);
  return { ...deps, actor: await resolveUserActor(deps, { userId: user.id, preferredOrgId: orgId, sourceIp: null }) };
}

/** What an agent reports about a plain host: netns only, no fabric yet. */
export function hostFacts(hostname = "h1", over: Partial<HostFacts> = {}): HostFacts {
  return {
    hostname,
    os: null,
    kernel: "6.1",
    cpus: 2,
    memoryMiB: 2048,
    ovsVersion: "3.1.0",
    fabricAddress: null,
    fabricPrefixLen: null,
    fabricMac: null,
    nextHopMac: null,
    datapathId: null,
    instanceBlock: null,
    datacenter: "dc1",
    runtimes: { docker: false, qemu: false, netns: true },
    images: { docker: [], qemu: [] },
    agentVersion: "0.1.0",
    wireguardPublicKey: null,
    gatewayLinks: null,
    guards: null,
    ...over,
  };
}

const rnd = (n: number): number => Math.floor(Math.random() * n);
const hex2 = (n: number): string => n.toString(16).padStart(2, "0");

/** A fresh, valid fabric identity each time (the database outlives a run: identities are unique console-wide). */
export function randomIdentity() {
  const [a, b] = [rnd(256), rnd(256)];
  return {
    datapathId: `00${Array.from({ length: 7 }, () => hex2(rnd(256))).join("")}`,
    // 100.66–87: below the console's default instance pool (100.96.0.0/11) and the instance-block
    // test's pools (100.88–95), above the lab's fabric (100.64) and instance blocks (100.65): a lab
    // host sharing the test database would otherwise be refused a block holding a test host's address
    fabricAddress: `100.${66 + rnd(22)}.${a}.${1 + rnd(250)}`,
    fabricPrefixLen: 24,
    fabricMac: `02:${Array.from({ length: 5 }, () => hex2(rnd(256))).join(":")}`,
    nextHopMac: "02:00:64:40:01:01",
    instanceBlock: `10.${a}.${b}.0/24`,
    wireguardPublicKey: randomWireguardKey(),
  };
}

/**
 * A fresh fabric identity whose instance block and fabric address no host of the test database
 * holds yet. Identities are unique console-wide and the suites sharing the database leave their
 * hosts behind: a random /24 of 10/8 met an earlier host's now and then (CI saw "instance block …
 * overlaps another block" refuse a test's enrollment), the more often the longer the database lived.
 */
export async function freeIdentity(db: CoreDeps["db"]): Promise<ReturnType<typeof randomIdentity>> {
  const rows = await db.$queryRaw<{ block: string | null; address: string | null }[]>`
    SELECT instance_block AS block, fabric_address AS address FROM hosts
    WHERE instance_block IS NOT NULL OR fabric_address IS NOT NULL`;
  const blocks = rows.flatMap((r) => {
    const c = r.block ? parseCidr(r.block) : null;
    return c && !isProblem(c) ? [c] : [];
  });
  const addresses = new Set(rows.map((r) => r.address));
  for (let tries = 0; tries < 1000; tries++) {
    const id = randomIdentity();
    const mine = parseCidr(id.instanceBlock);
    if (isProblem(mine) || addresses.has(id.fabricAddress)) continue;
    if (!blocks.some((b) => overlaps(b, mine))) return id;
  }
  throw new Error("no free instance block in 10.0.0.0/8 after 1000 draws: the test database is full, reset it");
}

/** A well-formed WireGuard public key (32 random bytes, base64), fresh each time. */
export function randomWireguardKey(): string {
  return randomBytes(32).toString("base64");
}

/**
 * Public addresses for gateways that no host of the test database holds. Gateway addresses are
 * unique across every organization, and the suites sharing the database leave their hosts behind,
 * so a random third octet collided now and then with an earlier run's. This picks, at random, a
 * third octet of `prefix` (one prefix per test file, e.g. "198.51") that no host uses yet.
 */
export async function freeGatewayAddresses(db: CoreDeps["db"], prefix: string): Promise<(n: number) => string> {
  const used = await db.$queryRaw<{ octet: string }[]>`
    SELECT DISTINCT split_part(gateway_public_address, '.', 3) AS octet FROM hosts
    WHERE gateway_public_address LIKE ${`${prefix}.%`}`;
  const taken = new Set(used.map((r) => Number(r.octet)));
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((o) => !taken.has(o));
  const octet = free[Math.floor(Math.random() * free.length)];
  if (octet === undefined) throw new Error(`every /24 of ${prefix}.0.0/16 holds a gateway address: use another prefix`);
  return (n) => `${prefix}.${octet}.${n}`;
}

export interface EnrolledHost {
  cloudId: CloudId;
  hostId: HostId;
  /** the host's credential, as its agent keeps it */
  credential: string;
  /** the host as its agent's calls are authenticated */
  host: AuthenticatedHost;
}

/** A cloud of `ctx`'s organization with one host enrolled through a single-use join token. */
export async function cloudWithHost(
  ctx: Ctx,
  o: {
    cloud?: string;
    hostname?: string;
    kind?: "baremetal" | "docker" | "vm";
    interconnect?: "routed" | "gateway";
  } = {},
): Promise<EnrolledHost> {
  const hostname = o.hostname ?? "h1";
  const cloudId = (
    await createCloud(ctx, {
      name: o.cloud ?? "dc1",
      kind: o.kind ?? "baremetal",
      region: "eu",
      datacenter: "dc1",
      interconnect: o.interconnect ?? "routed",
    })
  ).id;
  const jt = await createJoinToken(
    ctx,
    { cloudId, reusable: false, usageLimit: null, expiresInHours: 1 },
    "http://console.test",
  );
  const enrolled = await enrollHost(ctx, { joinToken: jt.joinString, facts: hostFacts(hostname) }, null);
  const hostId = asId("host", enrolled.hostId);
  return {
    cloudId,
    hostId,
    credential: enrolled.credential,
    host: { id: hostId, orgId: ctx.actor.orgId, cloudId, name: hostname },
  };
}

/** A tenant with a person, a cloud and an enrolled host. */
export async function tenantWithHost(
  tag: string,
  o: { hostname?: string; deps?: CoreDeps } = {},
): Promise<{ ctx: Ctx } & EnrolledHost> {
  const ctx = await person(tag, o.deps);
  return { ctx, ...(await cloudWithHost(ctx, { hostname: o.hostname })) };
}

/**
 * What a call ended with: "ok", or the domain error's code with the field at fault
 * (`NOT_FOUND@srcGroupId`), and its message too when asked (`INSTANCE_STATE: …`).
 */
export function codeOf(p: Promise<unknown>, o: { message?: boolean } = {}): Promise<string> {
  return p.then(
    () => "ok",
    (e: unknown) =>
      e instanceof DomainError
        ? `${e.code}${e.details.field ? `@${e.details.field}` : ""}${o.message ? `: ${e.message}` : ""}`
        : String(e),
  );
}
