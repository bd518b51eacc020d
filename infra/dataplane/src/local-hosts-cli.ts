import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { createCloud, createCoreDeps, createJoinToken, resolveUserActor } from "@nvi/core";
import { LabError, readState, stopAgent } from "@nvi/lab";
import { stackEnv } from "./env.ts";
import { joinLocalHost, readLocalHosts, startLocalHosts } from "./local-hosts.ts";
import { ROOT } from "./stack.ts";

const USAGE = `usage: local-hosts <command> [options]

  serve --console URL [--datacenters 2] [--hosts-per-dc 1] [--name NAME] [--tsc-port 6653]
        lab hosts for a console on this machine; runs until Ctrl-C / SIGTERM, then tears down
  join --dc N 'nvj_…@url'     enroll the next free host of datacenter N with a join string
  demo --console URL --login-file FILE [--public-url URL]
        a demo account (its password goes to FILE) with a cloud per datacenter, every host enrolled
  --state FILE (all commands)  default ${path.join(ROOT, ".run/local-hosts.json")}`;

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * The demo organization, rebuilt on every run: a console user "demo@example.com" (signed up over
 * HTTP like anyone, with a fresh random password), one cloud per lab datacenter and every lab host
 * enrolled with a join token. Hosts left over from a previous lab are removed first.
 */
async function demo(consoleUrl: string, publicUrl: string, stateFile: string, loginFile: string): Promise<void> {
  const s = await readLocalHosts(stateFile);
  const { databaseUrl } = stackEnv();
  if (!databaseUrl) throw new LabError("DATABASE_URL is not set");
  const deps = createCoreDeps(databaseUrl);
  try {
    const email = "demo@example.com";
    const password = `nvi-${randomBytes(12).toString("base64url")}`;
    const existing = await deps.db.user.findUnique({ where: { email } });
    if (existing) {
      // the previous demo goes entirely: its organization (clouds, hosts, VPCs, instances) and the user
      const orgIds = (
        await deps.db.membership.findMany({ where: { userId: existing.id, role: "owner" }, select: { orgId: true } })
      ).map((m) => m.orgId);
      // instances hold their host and subnet, hosts and subnets their cloud (restrict): those go first, the rest by cascade
      await deps.db.$transaction([
        deps.db.ipAllocation.deleteMany({ where: { subnet: { orgId: { in: orgIds } } } }),
        deps.db.instance.deleteMany({ where: { orgId: { in: orgIds } } }),
        deps.db.host.deleteMany({ where: { orgId: { in: orgIds } } }),
        deps.db.subnet.deleteMany({ where: { orgId: { in: orgIds } } }),
        deps.db.organization.deleteMany({ where: { id: { in: orgIds } } }),
        deps.db.user.delete({ where: { id: existing.id } }),
      ]);
    }
    const res = await fetch(`${consoleUrl}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: new URL(publicUrl).origin },
      body: JSON.stringify({ email, password, name: "Demo" }),
    });
    if (!res.ok) throw new LabError(`the console refused the demo sign-up: ${res.status} ${await res.text()}`);
    const user = await deps.db.user.findUniqueOrThrow({ where: { email } });
    const actor = await resolveUserActor(deps, { userId: user.id, preferredOrgId: null, sourceIp: "127.0.0.1" });
    const ctx = { ...deps, actor };
    // agents of an earlier demo run on this lab belonged to hosts that are gone now
    for (const h of (await readState(s.lab))?.hosts ?? []) if (h.pids.agent !== undefined) await stopAgent(s.lab, h.id);
    const labState = await readState(s.lab);
    const dcs = [...new Set(labState?.hosts.map((h) => h.dc) ?? [])];
    for (const dc of dcs) {
      const cloud = await createCloud(ctx, {
        name: `demo-dc${dc}`,
        kind: "baremetal",
        region: "local",
        datacenter: `dc${dc}`,
      });
      const hosts = labState!.hosts.filter((h) => h.dc === dc);
      const token = await createJoinToken(
        ctx,
        { cloudId: cloud.id, reusable: true, usageLimit: hosts.length, expiresInHours: 1 },
        publicUrl,
      );
      for (const _ of hosts)
        say(`  enrolled ${(await joinLocalHost(stateFile, dc, token.joinString)).hostname} into cloud ${cloud.name}`);
    }
    await writeFile(loginFile, `${email}\n${password}\n`, { mode: 0o600 });
    say(`demo account: ${email} / ${password} (also in ${loginFile})`);
  } finally {
    await deps.db.$disconnect();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      console: { type: "string" },
      datacenters: { type: "string", default: "2" },
      "hosts-per-dc": { type: "string", default: "1" },
      name: { type: "string" },
      "tsc-port": { type: "string", default: "6653" },
      dc: { type: "string" },
      state: { type: "string", default: path.join(ROOT, ".run/local-hosts.json") },
      "login-file": { type: "string" },
      "public-url": { type: "string" },
      help: { type: "boolean" },
    },
  });
  const [command, arg] = positionals;
  if (v.help || !command) return say(USAGE);
  if (command === "serve") {
    if (!v.console) throw new LabError("serve needs --console URL (the console these hosts join)");
    const hosts = await startLocalHosts({
      consoleUrl: v.console,
      datacenters: Number(v.datacenters),
      hostsPerDc: Number(v["hosts-per-dc"]),
      name: v.name,
      tscPort: Number(v["tsc-port"]),
      stateFile: v.state,
    });
    say(JSON.stringify({ ready: true, ...hosts.state }));
    await new Promise<void>((resolve) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
    });
    await hosts.close();
    return say("local hosts torn down");
  }
  if (command === "join") {
    if (!v.dc || !arg) throw new LabError("join needs --dc N and the join string");
    const { hostname } = await joinLocalHost(v.state, Number(v.dc), arg);
    return say(`${hostname} is enrolling; it appears under Clouds → hosts within seconds`);
  }
  if (command === "demo") {
    if (!v.console || !v["login-file"]) throw new LabError("demo needs --console URL and --login-file FILE");
    return demo(v.console, v["public-url"] ?? v.console, v.state, v["login-file"]);
  }
  throw new LabError(`unknown command "${command}"\n\n${USAGE}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(
    `local-hosts: ${e instanceof LabError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
