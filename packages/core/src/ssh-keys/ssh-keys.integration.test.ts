import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ctx } from "../context.ts";
import { resolveUserActor } from "../orgs/organizations.ts";
import { codeOf, person } from "../test-support/kit.ts";
import { TEST_SSH_KEYS } from "../test-support/ssh-keys.ts";
import { addSshKey, listSshKeys, removeSshKey } from "./ssh-keys.ts";

/** An organization's SSH keys against the real Postgres: who may add them, what is refused, what is recorded. */
let owner: Ctx;
let viewer: Ctx;
let member: Ctx;
let stranger: Ctx;

/** Someone of `tag` who joined `org`'s organization with `role`. */
async function joined(org: Ctx, tag: string, role: "member" | "viewer"): Promise<Ctx> {
  const them = await person(tag, org);
  await org.db.membership.create({
    data: { id: org.newId("membership"), orgId: org.actor.orgId, userId: them.actor.userId, role },
  });
  const actor = await resolveUserActor(org, {
    userId: them.actor.userId,
    preferredOrgId: org.actor.orgId,
    sourceIp: null,
  });
  return { ...org, actor };
}

beforeAll(async () => {
  owner = await person("keys");
  viewer = await joined(owner, "keys-viewer", "viewer");
  member = await joined(owner, "keys-member", "member");
  stranger = await person("keys-stranger", owner);
});
afterAll(async () => {
  await owner.db.$disconnect();
});

describe("SSH keys of an organization", () => {
  it("a member adds a key; everyone in the organization lists it with ssh-keygen's fingerprint; the audit says who", async () => {
    const key = await addSshKey(member, { name: "ann-laptop", publicKey: TEST_SSH_KEYS.ecdsa384.line });
    expect(key).toMatchObject({
      name: "ann-laptop",
      type: "ecdsa-sha2-nistp384",
      bits: 384,
      fingerprint: TEST_SSH_KEYS.ecdsa384.fingerprint,
      comment: "p384@test",
      createdBy: member.actor.email,
    });
    expect((await listSshKeys(viewer)).map((k) => k.id)).toContain(key.id);
    expect((await listSshKeys(stranger)).map((k) => k.id)).not.toContain(key.id);
    const audit = await owner.db.auditEvent.findFirstOrThrow({ where: { targetId: key.id } });
    expect(audit).toMatchObject({ action: "ssh_key.added", targetType: "ssh_key", actorLabel: member.actor.email });
    expect(audit.after).toMatchObject({ name: "ann-laptop", fingerprint: TEST_SSH_KEYS.ecdsa384.fingerprint });
  });

  it("a viewer lists keys but neither adds nor removes one", async () => {
    const key = await addSshKey(owner, { name: "ops", publicKey: TEST_SSH_KEYS.ecdsa521.line });
    expect(await codeOf(addSshKey(viewer, { name: "mine", publicKey: TEST_SSH_KEYS.ed25519C.line }))).toBe(
      "MISSING_SCOPE",
    );
    expect(await codeOf(removeSshKey(viewer, { sshKeyId: key.id }))).toBe("MISSING_SCOPE");
    expect(await owner.db.sshKey.count({ where: { orgId: owner.actor.orgId, name: "mine" } })).toBe(0);
    expect(await owner.db.sshKey.findUnique({ where: { id: key.id } })).not.toBeNull();
  });

  it("the same key twice, or two keys under one name, is refused saying which it clashes with", async () => {
    await addSshKey(owner, { name: "deploy", publicKey: TEST_SSH_KEYS.ed25519A.line });
    // the same key with another comment and spacing is still the same key
    const [type, body] = TEST_SSH_KEYS.ed25519A.line.split(" ");
    expect(
      await codeOf(addSshKey(owner, { name: "deploy-2", publicKey: `${type}  ${body} other@host` }), { message: true }),
    ).toBe(
      `DUPLICATE_KEY@publicKey: this key (${TEST_SSH_KEYS.ed25519A.fingerprint}) is already kept in the organization as "deploy"`,
    );
    expect(
      await codeOf(addSshKey(owner, { name: "deploy", publicKey: TEST_SSH_KEYS.ed25519B.line }), { message: true }),
    ).toBe('DUPLICATE_NAME@name: an SSH key named "deploy" already exists');
    // another organization keeps its own copy of the same key
    expect(await codeOf(addSshKey(stranger, { name: "deploy", publicKey: TEST_SSH_KEYS.ed25519A.line }))).toBe("ok");
  });

  it("a malformed key is refused naming the field and the reason, and nothing is kept", async () => {
    const before = await owner.db.sshKey.count({ where: { orgId: owner.actor.orgId } });
    expect(
      await codeOf(addSshKey(owner, { name: "old-rsa", publicKey: TEST_SSH_KEYS.rsa1024.line }), { message: true }),
    ).toBe("VALIDATION_FAILED@publicKey: an RSA key needs at least 2048 bits (this one has 1024)");
    const [, edBody] = TEST_SSH_KEYS.ed25519B.line.split(" ");
    expect(await codeOf(addSshKey(owner, { name: "liar", publicKey: `ssh-rsa ${edBody}` }), { message: true })).toBe(
      'VALIDATION_FAILED@publicKey: the key\'s body says it is "ssh-ed25519", not ssh-rsa',
    );
    expect(await owner.db.sshKey.count({ where: { orgId: owner.actor.orgId } })).toBe(before);
  });

  it("removing: only a key of the caller's organization (another's is not found), recorded in the audit", async () => {
    const key = await addSshKey(owner, { name: "temp", publicKey: TEST_SSH_KEYS.rsa2048.line });
    expect(await codeOf(removeSshKey(stranger, { sshKeyId: key.id }))).toBe("NOT_FOUND");
    expect(await owner.db.sshKey.findUnique({ where: { id: key.id } })).not.toBeNull();
    expect(await removeSshKey(member, { sshKeyId: key.id })).toEqual({ removed: true });
    expect(await owner.db.sshKey.findUnique({ where: { id: key.id } })).toBeNull();
    expect(await codeOf(removeSshKey(member, { sshKeyId: key.id }))).toBe("NOT_FOUND");
    const audit = await owner.db.auditEvent.findMany({ where: { targetId: key.id }, orderBy: { at: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["ssh_key.added", "ssh_key.removed"]);
  });
});
