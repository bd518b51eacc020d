import { createApiToken, resolveUserActor } from "@nvi/core";
import { TEST_SSH_KEYS } from "@nvi/core/test-support/ssh-keys";
import { describe, expect, it } from "vitest";
import { handleRest } from "./http.ts";
import { headerContext, json, makeTenant, tenantKit } from "./test-support/fixtures.ts";

/** SSH keys and a VM's user-data through the REST API: roles, and bad input named by its field. */
const kit = tenantKit("kira");

function rest(method: string, path: string, token: string, body?: unknown) {
  return handleRest(
    new Request(`http://localhost/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
    (req) => headerContext(kit.deps, req.headers),
  );
}

/**
 * A token of someone in the owner's organization with `role`: made while a member (a viewer mints
 * no tokens), then the role set; a token never does more than its creator's current role allows.
 */
async function tokenOf(role: "member" | "viewer") {
  const t = await makeTenant(kit.deps, `kira-${role}`);
  const m = await kit.deps.db.membership.create({
    data: { id: kit.deps.newId("membership"), orgId: kit.owner.orgId, userId: t.userId, role: "member" },
  });
  const actor = await resolveUserActor(kit.deps, { userId: t.userId, preferredOrgId: kit.owner.orgId, sourceIp: null });
  const { secret } = await createApiToken(
    { ...kit.deps, actor },
    { name: role, scopes: ["instances:read", "instances:write"], expiresInDays: 1 },
  );
  await kit.deps.db.membership.update({ where: { id: m.id }, data: { role } });
  return secret;
}

describe("SSH keys over REST", () => {
  it("a viewer lists the organization's keys but adding or removing one is 403, and nothing changes", async () => {
    const added = await rest("POST", "/ssh-keys", kit.owner.token, {
      name: "owner-key",
      publicKey: TEST_SSH_KEYS.ecdsa256.line,
    });
    expect(added.status).toBe(200);
    const key = (await json(added)) as unknown as { id: string; fingerprint: string };
    expect(key.fingerprint).toBe(TEST_SSH_KEYS.ecdsa256.fingerprint);
    const viewer = await tokenOf("viewer");
    const listed = await rest("GET", "/ssh-keys", viewer);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await json(listed))).toContain(key.id);
    const denied = await rest("POST", "/ssh-keys", viewer, {
      name: "viewer-key",
      publicKey: TEST_SSH_KEYS.rsa2048.line,
    });
    expect(denied.status).toBe(403);
    expect((await json(denied)).message).toMatch(/instances:write/);
    expect((await rest("DELETE", `/ssh-keys/${key.id}`, viewer)).status).toBe(403);
    expect(await kit.deps.db.sshKey.count({ where: { orgId: kit.owner.orgId } })).toBe(1);
  });

  it("a malformed key is 400 naming publicKey and the reason", async () => {
    const member = await tokenOf("member");
    const res = await rest("POST", "/ssh-keys", member, {
      name: "short-rsa",
      publicKey: TEST_SSH_KEYS.rsa1024.line,
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.message).toBe("an RSA key needs at least 2048 bits (this one has 1024)");
    expect((body.data as { field: string }).field).toBe("publicKey");
    const noName = await rest("POST", "/ssh-keys", member, { name: " ", publicKey: TEST_SSH_KEYS.ed25519B.line });
    expect(noName.status).toBe(400);
    const issues = ((await json(noName)).data as { issues: { path: string; message: string }[] }).issues;
    expect(issues.find((i) => i.path === "name")?.message).toBe("name is required");
  });

  it("oversize user-data at a launch is 400 naming userData (not a refused body), and nothing is made", async () => {
    const before = await kit.deps.db.instance.count({ where: { orgId: kit.owner.orgId } });
    const res = await rest("POST", "/instances", kit.owner.token, {
      name: "vm-big",
      subnetId: "sn_00000000000000000000",
      runtime: "qemu",
      image: "nvi-debian12",
      userData: `#cloud-config\n${"a: b\n".repeat(13_200)}`,
    });
    expect(res.status).toBe(400);
    const issues = ((await json(res)).data as { issues: { path: string; message: string }[] }).issues;
    expect(issues.find((i) => i.path === "userData")?.message).toBe("at most 65536 characters");
    expect(await kit.deps.db.instance.count({ where: { orgId: kit.owner.orgId } })).toBe(before);
  });
});
