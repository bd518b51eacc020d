import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import {
  createCloud,
  createCoreDeps,
  createJoinToken,
  listHosts,
  resolveUserActor,
  setHostGateway,
  type CoreDeps,
  type Ctx,
} from "@nvi/core";
import { LabError, readState, stopAgent, type LabState } from "@nvi/lab";
import { stackEnv } from "./env.ts";
import { joinLocalHost, readLocalHosts } from "./local-hosts.ts";

export const DEMO_EMAIL = "demo@example.com";
const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** What each lab datacenter is in the internet topology (infra/lab src/internet.ts), for the cloud's log line. */
const BEHIND: Record<string, string> = {
  nat: "behind a 1:1 NAT",
  public: "with a public address",
  napt: "behind a port-rewriting NAT",
};

/**
 * The previous demo goes entirely: its organization (clouds, hosts, VPCs, instances) and the user.
 * Instances hold their host and subnet, hosts and subnets their cloud (restrict): those go first,
 * the rest by cascade. Answers whether there was one.
 */
export async function removeDemoOrganization(db: CoreDeps["db"]): Promise<boolean> {
  const existing = await db.user.findUnique({ where: { email: DEMO_EMAIL } });
  if (!existing) return false;
  const orgIds = (
    await db.membership.findMany({ where: { userId: existing.id, role: "owner" }, select: { orgId: true } })
  ).map((m) => m.orgId);
  await db.$transaction([
    db.ipAllocation.deleteMany({ where: { subnet: { orgId: { in: orgIds } } } }),
    db.instance.deleteMany({ where: { orgId: { in: orgIds } } }),
    db.host.deleteMany({ where: { orgId: { in: orgIds } } }),
    db.subnet.deleteMany({ where: { orgId: { in: orgIds } } }),
    db.organization.deleteMany({ where: { id: { in: orgIds } } }),
    db.user.delete({ where: { id: existing.id } }),
  ]);
  return true;
}

/**
 * Waits until the lab's gateway hosts are online in the demo organization with an approved
 * WireGuard key (what their agents report at enrollment), then declares each one a gateway at its
 * public address (dc1: its 1:1 NAT's; dc3: its port-rewriting NAT's own address), as a user does
 * with `POST /hosts/{id}/gateway`.
 */
async function declareGateways(ctx: Ctx, lab: LabState, timeoutMs = 180_000): Promise<void> {
  const gateways = lab.hosts.filter((h) => h.gateway);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hosts = await listHosts(ctx, {});
    const ready = gateways.map((g) =>
      hosts.find(
        (h) => h.name === `${lab.name}-${g.id}` && h.status === "online" && h.identity.wireguardPublicKey !== null,
      ),
    );
    if (ready.every(Boolean)) {
      for (const [i, h] of ready.entries()) {
        const g = gateways[i]!;
        await setHostGateway(ctx, { hostId: h!.id, publicAddress: g.gateway!.publicIp });
        say(`  ${h!.name} is the gateway of demo-dc${g.dc} (${BEHIND[g.gateway!.mode]}) at ${g.gateway!.publicIp}`);
      }
      return;
    }
    if (Date.now() > deadline)
      throw new LabError(
        `the gateway hosts did not come online with a WireGuard key within ${timeoutMs / 1000} s (agent logs: ${lab.runDir}/h*/agent.log)`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The demo organization, rebuilt on every run: a console user "demo@example.com" (signed up over
 * HTTP like anyone, with a fresh random password), one cloud per lab datacenter and every lab host
 * enrolled with a join token. On a lab of the internet topology the clouds reach each other through
 * gateway hosts (encrypted: WireGuard between them), the first host of each datacenter declared its
 * gateway. Hosts left over from a previous lab are removed first.
 */
export async function setUpDemo(o: {
  consoleUrl: string;
  publicUrl: string;
  stateFile: string;
  loginFile: string;
}): Promise<void> {
  const s = await readLocalHosts(o.stateFile);
  const { databaseUrl } = stackEnv();
  if (!databaseUrl) throw new LabError("DATABASE_URL is not set");
  const deps = createCoreDeps(databaseUrl);
  try {
    const password = `nvi-${randomBytes(12).toString("base64url")}`;
    await removeDemoOrganization(deps.db);
    const res = await fetch(`${o.consoleUrl}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: new URL(o.publicUrl).origin },
      body: JSON.stringify({ email: DEMO_EMAIL, password, name: "Demo" }),
    });
    if (!res.ok) throw new LabError(`the console refused the demo sign-up: ${res.status} ${await res.text()}`);
    const user = await deps.db.user.findUniqueOrThrow({ where: { email: DEMO_EMAIL } });
    const actor = await resolveUserActor(deps, { userId: user.id, preferredOrgId: null, sourceIp: "127.0.0.1" });
    const ctx = { ...deps, actor };
    // agents of an earlier demo run on this lab belonged to hosts that are gone now
    for (const h of (await readState(s.lab))?.hosts ?? []) if (h.pids.agent !== undefined) await stopAgent(s.lab, h.id);
    const lab = await readState(s.lab);
    if (!lab) throw new LabError(`lab ${s.lab} is gone; restart the local hosts`);
    const internet = lab.internet !== undefined;
    for (const dc of [...new Set(lab.hosts.map((h) => h.dc))]) {
      const cloud = await createCloud(ctx, {
        name: `demo-dc${dc}`,
        kind: "baremetal",
        region: "local",
        datacenter: `dc${dc}`,
        interconnect: internet ? "gateway" : "routed",
      });
      const hosts = lab.hosts.filter((h) => h.dc === dc);
      const token = await createJoinToken(
        ctx,
        { cloudId: cloud.id, reusable: true, usageLimit: hosts.length, expiresInHours: 1 },
        o.publicUrl,
      );
      for (const _ of hosts)
        say(`  enrolled ${(await joinLocalHost(o.stateFile, dc, token.joinString)).hostname} into cloud ${cloud.name}`);
    }
    if (internet) await declareGateways(ctx, lab);
    await writeFile(o.loginFile, `${DEMO_EMAIL}\n${password}\n`, { mode: 0o600 });
    say(`demo account: ${DEMO_EMAIL} / ${password} (also in ${o.loginFile})`);
  } finally {
    await deps.db.$disconnect();
  }
}

/** `down.sh`: the demo organization goes with the demo hosts (a rerun of up.sh makes a new one). */
export async function tearDownDemo(): Promise<boolean> {
  const { databaseUrl } = stackEnv();
  if (!databaseUrl) throw new LabError("DATABASE_URL is not set");
  const deps = createCoreDeps(databaseUrl);
  try {
    return await removeDemoOrganization(deps.db);
  } finally {
    await deps.db.$disconnect();
  }
}
