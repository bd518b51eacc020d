import { randomBytes, X509Certificate } from "node:crypto";
import { asId } from "@nvi/contracts";
import { listenChannel } from "@nvi/db";
import { createKeyAndCsr, normalizeSerial, switchIdentityOf } from "@nvi/pki";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCoreDeps, type Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { ensurePersonalOrganization, resolveUserActor } from "../orgs/organizations.ts";
import { createCloud } from "./clouds.ts";
import { authorityIdFor, fabricAuthority } from "./fabric-ca.ts";
import { rotateHostCredential } from "./host-credentials.ts";
import { authenticateHost, enrollHost, recordHeartbeat, removeHost } from "./hosts.ts";
import { createJoinToken } from "./join-tokens.ts";
import { admitSwitch, HOST_REMOVED_CHANNEL } from "./switch-admission.ts";
import { hostFacts } from "../test-support/kit.ts";

/** The console as the fabric's CA, against the real Postgres: enrollment, renewal, admission, removal. */
let ctx: Ctx;
const secret = randomBytes(32).toString("hex");
let n = 0;
const dpid = () =>
  `00000000${(Date.now() % 0xffffff).toString(16).padStart(6, "0")}${(n++).toString(16).padStart(2, "0")}`;
const facts = (hostname: string, datapathId: string | null) => hostFacts(hostname, { datapathId });

async function joinString(name: string): Promise<string> {
  const cloudId = (await createCloud(ctx, { name: `ca-${name}`, kind: "baremetal", region: "eu", datacenter: "dc1" }))
    .id;
  return (
    await createJoinToken(ctx, { cloudId, reusable: false, usageLimit: null, expiresInHours: 1 }, "http://console.test")
  ).joinString;
}

async function enrolled(name: string, datapathId = dpid()) {
  const { csrPem } = await createKeyAndCsr(name);
  const answer = await enrollHost(
    ctx,
    { joinToken: await joinString(name), facts: facts(name, datapathId), csr: csrPem },
    null,
  );
  return { ...answer, datapathId };
}

/** What the TSC sees of a certificate over TLS. */
function claimOf(certPem: string, datapathId: string) {
  const x = new X509Certificate(certPem);
  const id = switchIdentityOf(x.subjectAltName);
  if (!id) throw new Error("no identity in the certificate");
  return { datapathId, certificate: { ...id, serial: normalizeSerial(x.serialNumber) } };
}

const codeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
  );

beforeAll(async () => {
  const deps = createCoreDeps(process.env.DATABASE_URL ?? "", { fabricSecret: secret });
  const email = `ca-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const user = await deps.db.user.create({ data: { id: deps.newId("user"), email, name: "ca" } });
  const orgId = await ensurePersonalOrganization(deps, user, null);
  ctx = { ...deps, actor: await resolveUserActor(deps, { userId: user.id, preferredOrgId: orgId, sourceIp: null }) };
});
afterAll(async () => {
  await ctx.db.$disconnect();
});

describe("the fabric CA", () => {
  it("is made once (two processes racing get the same one) and its key is stored encrypted, in its own row", async () => {
    const [a, b] = await Promise.all([fabricAuthority(ctx), fabricAuthority(ctx)]);
    expect(a.id).toBe(b.id);
    expect(a.certPem).toBe(b.certPem);
    const row = await ctx.db.fabricAuthority.findUniqueOrThrow({ where: { id: a.id } });
    expect(Object.keys(row).sort()).toEqual(["certPem", "createdAt", "id"]);
    const key = await ctx.db.fabricAuthorityKey.findUniqueOrThrow({ where: { authorityId: a.id } });
    expect(key.encryptedKey).not.toContain("PRIVATE KEY");
    expect(Buffer.from(key.encryptedKey, "base64").toString("latin1")).not.toContain("PRIVATE KEY");
    // a console with another secret has another CA: it never reads this key
    expect(authorityIdFor(randomBytes(32).toString("hex"))).not.toBe(a.id);
    await expect(fabricAuthority({ ...ctx, fabricSecret: undefined })).rejects.toThrow(/secret/);
  });

  it("enrollment signs the agent's CSR: the certificate names the new host and its datapath id, chained to the CA it returns", async () => {
    const host = await enrolled("ca-enroll");
    const cert = new X509Certificate(host.certificate?.cert ?? "");
    expect(cert.verify(new X509Certificate(host.certificate?.caCert ?? "").publicKey)).toBe(true);
    expect(switchIdentityOf(cert.subjectAltName)).toEqual({ hostId: host.hostId, datapathId: host.datapathId });
    expect(await admitSwitch(ctx, claimOf(host.certificate?.cert ?? "", host.datapathId))).toEqual({
      admitted: true,
      hostId: host.hostId,
    });
  });

  it("a CSR that does not verify is refused with 400 and enrolls nothing (the join token is not used up)", async () => {
    const join = await joinString("ca-bad");
    const { csrPem } = await createKeyAndCsr("x");
    const body = Buffer.from(csrPem.replace(/-----[^-]+-----/g, "").replace(/\s/g, ""), "base64");
    body[body.length - 3] = (body[body.length - 3] ?? 0) ^ 0x55;
    const bad = `-----BEGIN CERTIFICATE REQUEST-----\n${body.toString("base64")}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(await codeOf(enrollHost(ctx, { joinToken: join, facts: facts("ca-bad", dpid()), csr: bad }, null))).toBe(
      "VALIDATION_FAILED",
    );
    expect(await codeOf(enrollHost(ctx, { joinToken: join, facts: facts("ca-bad", null), csr: csrPem }, null))).toBe(
      "VALIDATION_FAILED",
    );
    expect(await codeOf(enrollHost(ctx, { joinToken: join, facts: facts("ca-bad", dpid()), csr: csrPem }, null))).toBe(
      "ok",
    );
  });

  it("the TSC is told to refuse another host's certificate, another datapath id, an old certificate and a removed host", async () => {
    const a = await enrolled("ca-a");
    const b = await enrolled("ca-b");
    const refused = async (claim: Parameters<typeof admitSwitch>[1]) => (await admitSwitch(ctx, claim)).admitted;
    // B's certificate with A's datapath id in FEATURES_REPLY
    expect(await refused(claimOf(b.certificate?.cert ?? "", a.datapathId))).toBe(false);
    // a certificate naming a datapath id the host does not have (forged SAN is impossible; a stale record is not)
    expect(
      await refused({
        datapathId: a.datapathId,
        certificate: { hostId: a.hostId, datapathId: a.datapathId, serial: "1234" },
      }),
    ).toBe(false);
    // plain TCP: an unknown datapath id gets nothing
    expect(await refused({ datapathId: "00000000deadbeef", certificate: null })).toBe(false);
    expect(await refused({ datapathId: a.datapathId, certificate: null })).toBe(true);

    // renewal over a heartbeat: the new certificate is admitted, the old one no longer
    const hostA = await authenticateHost(ctx, a.credential);
    const { csrPem } = await createKeyAndCsr("ca-a");
    const renewed = await recordHeartbeat(ctx, hostA, facts("ca-a", a.datapathId), csrPem);
    expect(renewed.certificate).toBeDefined();
    expect(await refused(claimOf(a.certificate?.cert ?? "", a.datapathId))).toBe(false);
    expect(await refused(claimOf(renewed.certificate?.cert ?? "", a.datapathId))).toBe(true);

    // removal: announced on the channel within a second, and the certificate stops working
    const heard: string[] = [];
    const listener = listenChannel(process.env.DATABASE_URL ?? "", HOST_REMOVED_CHANNEL, (p) => heard.push(p));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      await removeHost(ctx, { hostId: asId("host", a.hostId) });
      while (!heard.includes(a.hostId) && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 20));
      expect(heard).toContain(a.hostId);
    } finally {
      await listener.close();
    }
    expect(await refused(claimOf(renewed.certificate?.cert ?? "", a.datapathId))).toBe(false);
  });

  it("a heartbeat asks for a CSR when the host has no certificate and when its credential is rotated", async () => {
    const join = await joinString("ca-old");
    const datapathId = dpid();
    const old = await enrollHost(ctx, { joinToken: join, facts: facts("ca-old", datapathId) }, null);
    expect(old.certificate).toBeUndefined();
    const host = await authenticateHost(ctx, old.credential);
    expect((await recordHeartbeat(ctx, host, facts("ca-old", datapathId))).certificateWanted).toBe(true);
    const { csrPem } = await createKeyAndCsr("ca-old");
    expect((await recordHeartbeat(ctx, host, facts("ca-old", datapathId), csrPem)).certificate).toBeDefined();
    expect((await recordHeartbeat(ctx, host, facts("ca-old", datapathId))).certificateWanted).toBeUndefined();
    await rotateHostCredential(ctx, { hostId: asId("host", host.id) });
    const rotation = await recordHeartbeat(ctx, host, facts("ca-old", datapathId));
    expect(rotation.newCredential).toBeDefined();
    expect(rotation.certificateWanted).toBe(true);
  });
});
