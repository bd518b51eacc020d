import { createServer, type Server } from "node:http";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ALL_SCOPES } from "@nvi/contracts";
import { createApiContext, handleRest } from "@nvi/api";
import { createApiToken, createCoreDeps, type CoreDeps } from "@nvi/core";
import { freeGatewayAddresses, hostFacts, person, testQueue } from "@nvi/core/test-support";
import { TEST_SSH_KEYS } from "@nvi/core/test-support/ssh-keys";
import { cutProxy, viaPort } from "@nvi/core/test-support/faults";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./run.ts";

/** The real REST handler on a loopback port, as the console serves it, against the real Postgres. */
let server: Server;
let url = "";
let deps: CoreDeps;
let token = "";
let dir = "";
/** a real queue on the test Redis, under its own prefix: what a policy change queues (nothing runs it) */
const operations = testQueue("cli");

beforeAll(async () => {
  const owner = await person("cli");
  deps = owner;
  token = (await createApiToken(owner, { name: "cli", scopes: [...ALL_SCOPES], expiresInDays: 1 })).secret;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      const request = new Request(`${url}${req.url}`, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        ...(body ? { body } : {}),
      });
      void handleRest(request, (r) =>
        createApiContext({
          deps,
          operations,
          headers: r.headers,
          sourceIp: "127.0.0.1",
          publicUrl: url,
          getSessionUser: () => Promise.resolve(null),
        }),
      ).then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  dir = await mkdtemp(path.join(tmpdir(), "nvi-cli-"));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await deps.db.$disconnect();
  await operations.close();
  await rm(dir, { recursive: true, force: true });
});

async function nvi(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(
    argv,
    { NVI_CONFIG: path.join(dir, "config.json") },
    { out: (t) => out.push(t), err: (t) => err.push(t) },
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

// a story: logged in by the first step, the journey walks on from there
describe("nvi CLI against the real API", { shuffle: false }, () => {
  it("logs in, keeps the token private, and says who it is", async () => {
    expect((await nvi("whoami")).err).toMatch(/not logged in/);
    const bad = await nvi("login", "--url", url, "--token", "nvi_wrong");
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.err).toMatch(/malformed/);
    const ok = await nvi("login", "--url", url, "--token", token);
    expect(ok.code).toBe(0);
    expect((await stat(path.join(dir, "config.json"))).mode & 0o777).toBe(0o600);
    expect((await nvi("whoami")).out).toMatch(/actor\s+token/);
  });

  it("walks the journey: cloud, join token, VPC, subnet, lists as tables and JSON", async () => {
    const cloud = JSON.parse(
      (
        await nvi(
          "clouds",
          "create",
          "--name",
          "cli-dc",
          "--kind",
          "docker",
          "--region",
          "eu",
          "--datacenter",
          "dc1",
          "--json",
        )
      ).out,
    ) as { id: string };
    expect(cloud.id).toMatch(/^cld_/);
    const join = await nvi("join-token", "create", "--cloud", cloud.id, "--reusable", "--limit", "3");
    expect(join.out).toMatch(/joinString\s+nvj_[0-9A-Za-z]{36}@http:\/\/127\.0\.0\.1:\d+/);
    const vpc = JSON.parse(
      (await nvi("vpcs", "create", "--name", "cli-vpc", "--cidr", "10.77.0.0/16", "--json")).out,
    ) as { id: string };
    expect(
      (await nvi("subnets", "create", "--vpc", vpc.id, "--cloud", cloud.id, "--name", "a", "--cidr", "10.77.1.0/24"))
        .out,
    ).toMatch(/gateway\s+10\.77\.1\.1/);
    const list = await nvi("vpcs", "list");
    expect(list.out.split("\n")[0]).toMatch(/^ID\s+NAME\s+CIDR\s+UNDERLAY_DSCP\s+SUBNET_COUNT\s+CREATED_AT$/);
    expect(list.out).toMatch(/cli-vpc\s+10\.77\.0\.0\/16\s+0\s+1/);
    // the underlay mark: a policy change (an operation), refused out of range with the field named
    expect((await nvi("vpcs", "set-dscp", vpc.id, "--dscp", "46")).out).toMatch(/applied\s+yes \(policy version/);
    expect((await nvi("vpcs", "list")).out).toMatch(/cli-vpc\s+10\.77\.0\.0\/16\s+46\s+1/);
    expect((await nvi("vpcs", "set-dscp", vpc.id, "--dscp", "64")).err).toMatch(
      /VALIDATION_FAILED\)\s+underlayDscp: Too big: expected number to be <=63/,
    );
    expect((await nvi("vpcs", "set-dscp", vpc.id)).err).toMatch(/give --dscp, a number from 0 to 63/);
    expect((await nvi("audit", "--action", "subnet.")).out).toContain("subnet.created");
    expect(JSON.parse((await nvi("instances", "counts", "--vpc", vpc.id, "--json")).out)).toEqual({
      total: 0,
      byStatus: {},
    });
    expect((await nvi("instances", "counts", "--vpc", vpc.id)).out).toBe("total  0");
    // policy: a new VPC is one plugged default group; changes can be previewed from the CLI
    const matrix = await nvi("policy", "matrix", vpc.id);
    expect(matrix.out).toMatch(/^FROM\s+TO\s+STATE/);
    expect(matrix.out).toMatch(/default\s+default\s+plugged/);
    const group = JSON.parse((await nvi("policy", "groups", "--vpc", vpc.id, "--json")).out) as { id: string }[];
    const unplug = await nvi("policy", "unplug", "--from", group[0]!.id, "--to", group[0]!.id, "--preview");
    expect(unplug.out).toMatch(/applied\s+no \(preview\)/);
    expect((await nvi("policy", "matrix", vpc.id)).out).toMatch(/default\s+default\s+plugged/);
    const badRule = await nvi(
      "policy",
      "rule-create",
      "--from",
      group[0]!.id,
      "--to",
      group[0]!.id,
      "--tcp",
      "80-70",
      "--preview",
    );
    expect(badRule.err).toMatch(/ports: "80-70": ports run from 1 to 65535, low to high \(VALIDATION_FAILED\)/);
    expect((await nvi("policy", "why", "inst_00000000000000000000", "--address", "10.77.1.9")).err).toMatch(
      /instance not found \(NOT_FOUND\)/,
    );
  });

  it("keeps SSH keys: add from a .pub file or a line, list with fingerprints, refuse a bad one, remove", async () => {
    const pub = path.join(dir, "id_ed25519.pub");
    await writeFile(pub, `${TEST_SSH_KEYS.ed25519A.line}\n`);
    const added = JSON.parse((await nvi("ssh-keys", "add", "--name", "laptop", "--file", pub, "--json")).out) as {
      id: string;
    };
    expect(added.id).toMatch(/^sshk_/);
    expect((await nvi("ssh-keys", "add", "--name", "ci", "--key", TEST_SSH_KEYS.rsa2048.line)).code).toBe(0);
    const list = await nvi("ssh-keys", "list");
    expect(list.out.split("\n")[0]).toMatch(/^ID\s+NAME\s+TYPE\s+BITS\s+FINGERPRINT\s+COMMENT/);
    expect(list.out).toContain(`laptop  ssh-ed25519  256   ${TEST_SSH_KEYS.ed25519A.fingerprint}`);
    const weak = await nvi("ssh-keys", "add", "--name", "old", "--key", TEST_SSH_KEYS.rsa1024.line);
    expect(weak).toMatchObject({ code: 1 });
    expect(weak.err).toMatch(/an RSA key needs at least 2048 bits \(this one has 1024\) \(VALIDATION_FAILED\)/);
    expect((await nvi("ssh-keys", "add", "--name", "x", "--file", path.join(dir, "none.pub"))).err).toMatch(
      /--file .*none\.pub: ENOENT/,
    );
    expect((await nvi("ssh-keys", "remove", added.id)).code).toBe(0);
    expect((await nvi("ssh-keys", "list")).out).not.toContain("laptop");
  });

  it("declares a cloud's gateways (two), lists them with their health, refuses bad input, removes one", async () => {
    const create = ["--name", "cli-gw", "--kind", "baremetal", "--region", "eu", "--datacenter", "gw"];
    const cloud = JSON.parse((await nvi("clouds", "create", ...create, "--interconnect", "gateway", "--json")).out) as {
      id: string;
    };
    const join = JSON.parse((await nvi("join-token", "create", "--cloud", cloud.id, "--reusable", "--json")).out) as {
      joinString: string;
    };
    const hostIds: string[] = [];
    for (const name of ["cli-gw-a", "cli-gw-b"]) {
      const res = await fetch(`${url}/api/v1/agent/enroll`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ joinToken: join.joinString, facts: hostFacts(name) }),
      });
      expect(res.status).toBe(200);
      hostIds.push(((await res.json()) as { hostId: string }).hostId);
    }
    const pub = await freeGatewayAddresses(deps.db, "198.51");
    const added = await nvi("clouds", "add-gateway", cloud.id, "--host", hostIds[0]!, "--public-address", pub(1));
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/nat\s+none/);
    const more = ["--public-address", pub(2), "--nat", "port-rewriting"];
    expect((await nvi("clouds", "add-gateway", cloud.id, "--host", hostIds[1]!, ...more)).code).toBe(0);
    const list = await nvi("clouds", "gateways", cloud.id);
    expect(list.out.split("\n")[0]).toMatch(/^HOST_ID\s+NAME\s+PUBLIC_ADDRESS\s+NAT\s+STATUS\s+TUNNELS_UP$/);
    expect(list.out).toMatch(new RegExp(`cli-gw-a\\s+${pub(1).replace(/\./g, "\\.")}\\s+none\\s+online`));
    expect(list.out).toMatch(/cli-gw-b\s+\S+\s+port-rewriting\s+online/);
    const badNat = await nvi(
      "clouds",
      "add-gateway",
      cloud.id,
      "--host",
      hostIds[0]!,
      "--public-address",
      pub(3),
      "--nat",
      "cgn",
    );
    expect(badNat).toMatchObject({ code: 2 });
    expect(badNat.err).toMatch(/--nat: give one of none, one-to-one, port-rewriting/);
    const private_ = await nvi(
      "clouds",
      "add-gateway",
      cloud.id,
      "--host",
      hostIds[0]!,
      "--public-address",
      "10.0.0.9",
    );
    expect(private_.err).toMatch(/publicAddress: must be a public address \(10\.0\.0\.9 is in 10\.0\.0\.0\/8\)/);
    expect((await nvi("clouds", "remove-gateway", cloud.id, hostIds[1]!)).code).toBe(0);
    expect((await nvi("clouds", "gateways", cloud.id)).out).not.toContain("cli-gw-b");
  });

  it("makes the link between two gateway clouds trusted direct and back, lists links with their mode, refuses bad input", async () => {
    const cloudOf = async (name: string, interconnect: string) =>
      (
        JSON.parse(
          (
            await nvi(
              "clouds",
              "create",
              ...["--name", name, "--kind", "baremetal", "--region", "eu", "--datacenter", name],
              ...["--interconnect", interconnect, "--json"],
            )
          ).out,
        ) as { id: string }
      ).id;
    const [a, b, routed] = [
      await cloudOf("cli-link-a", "gateway"),
      await cloudOf("cli-link-b", "gateway"),
      await cloudOf("cli-link-r", "routed"),
    ];
    const pub = await freeGatewayAddresses(deps.db, "198.51");
    for (const [cloud, k] of [
      [a, 1],
      [b, 2],
    ] as const) {
      const join = JSON.parse((await nvi("join-token", "create", "--cloud", cloud, "--json")).out) as {
        joinString: string;
      };
      const res = await fetch(`${url}/api/v1/agent/enroll`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ joinToken: join.joinString, facts: hostFacts(`cli-link-gw-${k}`) }),
      });
      expect(res.status).toBe(200);
      const { hostId } = (await res.json()) as { hostId: string };
      expect((await nvi("clouds", "add-gateway", cloud, "--host", hostId, "--public-address", pub(k))).code).toBe(0);
    }
    const row = (mode: string, state: string) => new RegExp(`^cli-link-a\\s+cli-link-b\\s+${mode}\\s+${state}\\s`, "m");
    const before = await nvi("clouds", "links");
    expect(before.out.split("\n")[0]).toMatch(/^A\s+B\s+MODE\s+STATE\s+RTT_MS\s+PATH_MTU\s+TUNNELS_UP\s+REASON$/);
    expect(before.out).toMatch(row("encrypted", "down"));

    const direct = await nvi("clouds", "link-mode", b, a, "direct");
    expect(direct.code).toBe(0);
    expect(direct.out).toMatch(/^mode\s+direct$/m);
    expect(direct.out).toMatch(/^state\s+direct$/m);
    expect((await nvi("clouds", "links")).out).toMatch(row("direct", "direct"));
    const json = JSON.parse((await nvi("clouds", "link-mode", a, b, "direct", "--json")).out) as {
      a: { name: string };
      mode: string;
      rttMs: unknown;
    };
    expect(json).toMatchObject({ a: { name: "cli-link-a" }, mode: "direct", rttMs: null });
    expect((await nvi("audit", "--action", "cloud.link.")).out).toContain("cloud.link.set");

    const back = await nvi("clouds", "link-mode", a, b, "encrypted");
    expect(back.out).toMatch(/^mode\s+encrypted$/m);
    expect((await nvi("clouds", "links")).out).toMatch(row("encrypted", "down"));

    const badMode = await nvi("clouds", "link-mode", a, b, "plain");
    expect(badMode).toMatchObject({ code: 2 });
    expect(badMode.err).toMatch(/usage: give the mode: encrypted .* or direct .*, not "plain"/);
    expect((await nvi("clouds", "link-mode", a, a, "direct")).err).toMatch(/\(SAME_CLOUD\)/);
    const notGateway = await nvi("clouds", "link-mode", a, routed, "direct");
    expect(notGateway).toMatchObject({ code: 1 });
    expect(notGateway.err).toMatch(
      /cloud "cli-link-r" reaches other clouds on the routed fabric.*\(NOT_A_GATEWAY_CLOUD\)/,
    );
  });

  it("reports API refusals with the field at fault, and usage errors with exit code 2", async () => {
    const bad = await nvi("vpcs", "create", "--name", "x", "--cidr", "10.77.0.1/16");
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/did you mean 10\.77\.0\.0\/16\? \(VALIDATION_FAILED\)/);
    const missing = await nvi("vpcs", "create", "--name", "x");
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toMatch(/--cidr is required/);
    expect((await nvi("frobnicate")).code).toBe(2);
    const gone = await nvi("vpcs", "delete", "vpc_00000000000000000000");
    expect(gone.err).toMatch(/VPC not found \(NOT_FOUND\)/);
    for (const verb of ["stop", "start", "restart"]) {
      const none = await nvi("instances", verb, "inst_00000000000000000000");
      expect(none, verb).toMatchObject({ code: 1 });
      expect(none.err).toMatch(/instance not found \(NOT_FOUND\)/);
      expect((await nvi("instances", verb)).err).toMatch(/give the instance id/);
    }
    expect((await nvi("hosts", "rotate-credential", "host_00000000000000000000")).err).toMatch(
      /host not found \(NOT_FOUND\)/,
    );
    const cancel = await nvi("operations", "cancel", "op_00000000000000000000");
    expect(cancel).toMatchObject({ code: 1 });
    expect(cancel.err).toMatch(/operation not found \(NOT_FOUND\)/);
  });
});

describe("nvi CLI while the console's database restarts", () => {
  it("waits out the 503 (saying so on stderr) and answers once Postgres is back", async () => {
    const direct = deps;
    const pg = await cutProxy({ host: "127.0.0.1", port: Number(new URL(process.env.DATABASE_URL!).port || 5432) });
    deps = createCoreDeps(viaPort(process.env.DATABASE_URL!, pg.port));
    try {
      await pg.cut();
      const back = setTimeout(() => void pg.restore(), 2_500);
      const err: string[] = [];
      const code = await run(
        ["vpcs", "list"],
        { NVI_URL: url, NVI_TOKEN: token, NVI_CONFIG: path.join(dir, "none.json") },
        { out: () => undefined, err: (t) => err.push(t) },
      );
      clearTimeout(back);
      expect(err.join("\n")).toMatch(/waiting: the console is reconnecting to its database/);
      expect(code).toBe(0);
    } finally {
      await deps.db.$disconnect();
      deps = direct;
      await pg.close();
    }
  }, 30_000);
});
