import { type SubnetId } from "@nvi/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuthenticatedHost } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import { recordingPlane, scriptedAgent, work } from "../test-support/agent.ts";
import { cloudWithHost, codeOf, hostFacts, person, testQueue } from "../test-support/kit.ts";
import { TEST_SSH_KEYS } from "../test-support/ssh-keys.ts";
import { addSshKey } from "../ssh-keys/ssh-keys.ts";
import { createSubnet, createVpc } from "../vpcs/vpcs.ts";
import { completeCommand, issueCommand, pullCommands } from "./commands.ts";
import { specOf } from "./executor.ts";
import { launchInstance } from "./instances.ts";
import { startInstance, stopInstance } from "./lifecycle.ts";

/**
 * A VM's SSH keys and user-data from the launch to the agent, against the real Postgres, the real
 * command channel and a scripted agent: keys only of the caller's organization, user-data kept
 * sealed (not in the instance's row, not in host_commands), the same spec at every start.
 */
const SECRET = "guest-config-test-secret-0123456789abcdef";
let ctx: Ctx;
let stranger: Ctx;
let host: AuthenticatedHost;
let subnetId: SubnetId;
let queue: ReturnType<typeof testQueue>;

const USER_DATA =
  "#cloud-config\nchpasswd:\n  expire: false\n  users:\n    - {name: debian, password: s3cret-Pa55, type: text}\n";

beforeAll(async () => {
  ctx = { ...(await person("guest")), secretsKey: SECRET };
  stranger = { ...(await person("guest-stranger", ctx)), secretsKey: SECRET };
  const enrolled = await cloudWithHost(ctx, { hostname: "h-vm" });
  host = enrolled.host;
  const vmFacts = hostFacts("h-vm", { runtimes: { docker: false, qemu: true, netns: true } });
  await ctx.db.host.update({ where: { id: host.id }, data: { facts: vmFacts } });
  const vpc = await createVpc(ctx, { name: "v-guest", cidr: "10.61.0.0/16", allowOverlap: true });
  subnetId = (await createSubnet(ctx, { vpcId: vpc.id, cloudId: enrolled.cloudId, name: "s", cidr: "10.61.1.0/24" }))
    .id;
  queue = testQueue("guest");
});
afterAll(async () => {
  await queue.close();
  await ctx.db.$disconnect();
});

const launchVm = (c: Ctx, name: string, o: { sshKeyIds?: string[]; userData?: string; runtime?: "qemu" | "netns" }) =>
  launchInstance(c, queue, {
    name,
    subnetId,
    hostId: host.id,
    runtime: o.runtime ?? "qemu",
    image: o.runtime === "netns" ? undefined : "nvi-debian12",
    cpus: 1,
    memoryMiB: 512,
    ...(o.sshKeyIds ? { sshKeyIds: o.sshKeyIds } : {}),
    ...(o.userData !== undefined ? { userData: o.userData } : {}),
  });

describe("a VM's SSH keys and user-data", () => {
  it("another organization's key id is refused at launch, and nothing is made", async () => {
    const theirs = await addSshKey(stranger, { name: "theirs", publicKey: TEST_SSH_KEYS.rsa4096.line });
    const mine = await addSshKey(ctx, { name: "mine-x", publicKey: TEST_SSH_KEYS.ecdsa256.line });
    const before = await ctx.db.instance.count({ where: { orgId: ctx.actor.orgId } });
    expect(await codeOf(launchVm(ctx, "vm-steal", { sshKeyIds: [mine.id, theirs.id] }), { message: true })).toBe(
      `NOT_FOUND@sshKeyIds: SSH key not found: ${theirs.id}`,
    );
    expect(await codeOf(launchVm(ctx, "vm-made-up", { sshKeyIds: ["sshk_00000000000000000000"] }))).toBe(
      "NOT_FOUND@sshKeyIds",
    );
    expect(await ctx.db.instance.count({ where: { orgId: ctx.actor.orgId } })).toBe(before);
  });

  it("the chosen keys and the user-data reach the agent at launch and again at a start; the user-data is stored sealed only", async () => {
    const a = await addSshKey(ctx, { name: "ann", publicKey: TEST_SSH_KEYS.ed25519A.line });
    const b = await addSshKey(ctx, { name: "bob", publicKey: TEST_SSH_KEYS.rsa2048.line });
    const launched = await launchVm(ctx, "vm-keys", { sshKeyIds: [b.id, a.id, b.id], userData: USER_DATA });
    const agent = scriptedAgent(ctx, host);
    const { plane } = recordingPlane();
    const op = await work(ctx, launched.operationId, agent, plane);
    expect(op.status, op.error ?? "").toBe("succeeded");
    const guest = { sshKeys: [TEST_SSH_KEYS.rsa2048.line, TEST_SSH_KEYS.ed25519A.line], userData: USER_DATA };
    expect(agent.executed[0]).toMatchObject({ kind: "instance.start", spec: guest });

    // nothing at rest holds the user-data in clear: not the guest config, not the instance, not the commands
    const row = await ctx.db.instanceGuestConfig.findUniqueOrThrow({ where: { instanceId: launched.instance.id } });
    expect(row.sshKeyNames).toEqual(["bob", "ann"]);
    const atRest = JSON.stringify([
      row,
      await ctx.db.instance.findUniqueOrThrow({ where: { id: launched.instance.id } }),
      await ctx.db.hostCommand.findMany({ where: { hostId: host.id } }),
      await ctx.db.auditEvent.findMany({ where: { targetId: launched.instance.id } }),
    ]);
    expect(atRest).not.toContain("s3cret-Pa55");
    expect(atRest).not.toContain("chpasswd");
    const audit = await ctx.db.auditEvent.findFirstOrThrow({
      where: { targetId: launched.instance.id, action: "instance.launch" },
    });
    expect(audit.after).toMatchObject({ sshKeys: ["bob", "ann"], userDataChars: USER_DATA.length });

    // removing a key later changes nothing for the VM: its next start gets what it got at launch
    await ctx.db.sshKey.delete({ where: { id: a.id } });
    const stop = await stopInstance(ctx, queue, { instanceId: launched.instance.id });
    expect((await work(ctx, stop.operationId, agent, plane)).status).toBe("succeeded");
    const start = await startInstance(ctx, queue, { instanceId: launched.instance.id });
    expect((await work(ctx, start.operationId, agent, plane)).status).toBe("succeeded");
    expect(agent.executed.map((c) => c.kind)).toEqual(["instance.start", "instance.stop", "instance.resume"]);
    expect(agent.executed[2]).toMatchObject({ kind: "instance.resume", spec: guest });
  });

  it("a VM without keys or user-data gets neither; containers and namespaces take neither", async () => {
    const plain = await launchVm(ctx, "vm-plain", {});
    expect(await ctx.db.instanceGuestConfig.count({ where: { instanceId: plain.instance.id } })).toBe(0);
    const key = await addSshKey(ctx, { name: "ns-key", publicKey: TEST_SSH_KEYS.ed25519C.line });
    expect(await codeOf(launchVm(ctx, "ns-keys", { runtime: "netns", sshKeyIds: [key.id] }), { message: true })).toBe(
      "VALIDATION_FAILED@sshKeyIds: SSH keys and user-data are for VMs (runtime qemu) only",
    );
    expect(await codeOf(launchVm(ctx, "ns-ud", { runtime: "netns", userData: "#cloud-config\n" }))).toBe(
      "VALIDATION_FAILED@userData",
    );
  });

  it("oversize user-data and too many keys are refused before anything is made", async () => {
    await expect(launchVm(ctx, "vm-big", { userData: "x".repeat(65_537) })).rejects.toThrow(
      /userData[\s\S]*at most 65536 characters/,
    );
    const many = Array.from({ length: 33 }, (_, i) => `sshk_${String(i).padStart(20, "0")}`);
    await expect(launchVm(ctx, "vm-many", { sshKeyIds: many })).rejects.toThrow(/sshKeyIds[\s\S]*at most 32 keys/);
    expect(
      await ctx.db.instance.count({ where: { orgId: ctx.actor.orgId, name: { in: ["vm-big", "vm-many"] } } }),
    ).toBe(0);
  });

  it("without a secret to seal it under, user-data is refused at launch (never stored in clear)", async () => {
    const { secretsKey: _, ...noSecret } = ctx;
    expect(await codeOf(launchVm(noSecret, "vm-nosecret", { userData: "#cloud-config\n" }))).toBe(
      "VALIDATION_FAILED@userData",
    );
  });

  it("user-data that cannot be opened (the secret changed) fails that start with the reason; the rest of the poll still goes", async () => {
    const vm = await launchVm(ctx, "vm-rekeyed", { userData: USER_DATA });
    const ns = await launchVm(ctx, "ns-beside", { runtime: "netns" });
    const rows = await ctx.db.instance.findMany({
      where: { id: { in: [vm.instance.id, ns.instance.id] } },
      include: { subnet: true, guestConfig: true },
    });
    const operationOf = new Map([vm, ns].map((l) => [l.instance.id as string, l.operationId as string]));
    for (const row of rows)
      await issueCommand(ctx, {
        hostId: host.id,
        operationId: operationOf.get(row.id)!,
        body: { kind: "instance.start", spec: specOf(row) },
      });
    const rekeyed: Ctx = { ...ctx, secretsKey: "another-secret-entirely-0123456789abcdef" };
    const pulled = await pullCommands(rekeyed, host, []);
    const started = pulled.commands.flatMap((c) => (c.body.kind === "instance.start" ? [c.body.spec.instanceId] : []));
    expect(started).toContain(ns.instance.id);
    expect(started).not.toContain(vm.instance.id);
    for (const c of pulled.commands) await completeCommand(ctx, host, c.id, { ok: true, ofport: 40 }); // nothing left to redeliver
    const failed = await ctx.db.hostCommand.findFirstOrThrow({ where: { operationId: vm.operationId } });
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/instance user-data cannot be opened with the configured secrets key/);
  });
});
