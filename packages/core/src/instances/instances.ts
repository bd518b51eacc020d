import { createHash } from "node:crypto";
import {
  HostFacts,
  INSTANCE_NAME,
  InstanceDto,
  InstanceRuntime,
  Labels,
  QEMU_IMAGE_NAME,
  isDockerImageReference,
  QEMU_MIN_MEMORY_MIB,
  type OperationId,
  type OperationStep,
  idRef,
  asId,
} from "@nvi/contracts";
import { isUniqueViolation } from "@nvi/db";
import { z } from "zod";
import { assertScope } from "../access.ts";
import { recordAudit, subjectOf } from "../audit/audit.ts";
import { hostStatus, storedFacts } from "../clouds/hosts.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { allocateAddress } from "../vpcs/ipam.ts";
import { GuestConfigInput, guestAuditOf, resolveGuestConfig, saveGuestConfig } from "./guest-config.ts";
import { createOperation } from "../operations/operations.ts";
import { ContainerLaunchFields, checkContainerInput, containerColumns, storeContainerEnv } from "./container-launch.ts";
import { dispatchIfUnqueued, dispatchOperation } from "../operations/outbox.ts";
import type { OperationQueue } from "../operations/queue.ts";

/** Limits per instance and per organization (the quota a tenant hits first). */
export const INSTANCE_LIMITS = { cpus: 16, memoryMiB: 65_536, perOrganization: 200 } as const;

const name = z
  .string()
  .trim()
  .min(1, "name is required")
  .max(40)
  .regex(INSTANCE_NAME, "lower-case letters, digits and - (not at either end)");

export const LaunchInstanceInput = z.object({
  name,
  subnetId: idRef("subnet"),
  /** omitted: automatic placement on an online host of the subnet's cloud that has the runtime */
  hostId: idRef("host").optional(),
  runtime: InstanceRuntime.default("netns"),
  /** docker: an image present on the host; qemu: the name of a guest in the host's image directory (e.g. nvi-busybox) */
  image: z.string().trim().min(1).max(200).optional(),
  ...ContainerLaunchFields,
  cpus: z.number().int().min(1).max(INSTANCE_LIMITS.cpus).default(1),
  memoryMiB: z.number().int().min(32).max(INSTANCE_LIMITS.memoryMiB).default(256),
  /** a specific address of the subnet; omitted: the lowest free one */
  address: z.string().trim().max(15).optional(),
  /** key → value; groups that match them take the instance in from its first packet */
  labels: Labels.default({}),
  /** same key → the same launch, never a second instance (a retried request) */
  idempotencyKey: z.string().trim().min(8).max(100).optional(),
  /** a VM's SSH keys (ids of the organization's keys) and cloud-init user-data: guest-config.ts */
  ...GuestConfigInput.shape,
});
export const InstanceRef = z.object({ instanceId: idRef("instance") });
export const ListInstancesInput = z.object({ vpcId: idRef("vpc").optional() });

/** A unicast, locally administered MAC derived from the instance id (stable, never reused by chance). */
export function instanceMac(instanceId: string): string {
  const h = createHash("sha256").update(instanceId).digest();
  return ["0a", ...[0, 1, 2, 3, 4].map((i) => (h[i] ?? 0).toString(16).padStart(2, "0"))].join(":");
}

type Row = {
  id: string;
  name: string;
  vpcId: string;
  subnetId: string;
  hostId: string;
  runtime: InstanceRuntime;
  image: string | null;
  commandArgs: string[];
  envNames: string[];
  cpus: number;
  memoryMiB: number;
  address: string;
  mac: string;
  status: InstanceDto["status"];
  statusReason: string | null;
  ofport: number | null;
  labels: unknown;
  createdAt: Date;
  updatedAt: Date;
  host: { name: string; cloudId: string };
};

export function instanceDto(r: Row): InstanceDto {
  return {
    id: asId("instance", r.id),
    name: r.name,
    vpcId: asId("vpc", r.vpcId),
    subnetId: asId("subnet", r.subnetId),
    hostId: asId("host", r.hostId),
    hostName: r.host.name,
    cloudId: asId("cloud", r.host.cloudId),
    runtime: r.runtime,
    image: r.image,
    command: r.commandArgs.length > 0 ? r.commandArgs : null,
    envNames: r.envNames,
    cpus: r.cpus,
    memoryMiB: r.memoryMiB,
    address: r.address,
    mac: r.mac,
    status: r.status,
    statusReason: r.statusReason,
    ofport: r.ofport,
    labels: Labels.catch({}).parse(r.labels),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export const withHost = { host: { select: { name: true, cloudId: true } } } as const;

function runtimeProblem(runtime: InstanceRuntime, facts: HostFacts, image: string | undefined): string | null {
  if (!facts.runtimes[runtime])
    return `host ${facts.hostname} has no ${runtime} runtime (it reports: ${
      Object.entries(facts.runtimes)
        .filter(([, on]) => on)
        .map(([k]) => k)
        .join(", ") || "none"
    })`;
  if (runtime !== "netns" && !image) return `a ${runtime} instance needs an image`;
  return null;
}

/** What only a VM needs: a guest name (never a host path) and enough memory to boot a kernel; a container, an image reference (never an option or a path). */
function checkVmInput(input: z.infer<typeof LaunchInstanceInput>): void {
  if (input.runtime === "docker" && input.image && !isDockerImageReference(input.image)) {
    throw new DomainError(
      "VALIDATION_FAILED",
      `a docker image is an image reference (e.g. alpine:3.20 or registry.example.com/team/app@sha256:…), not "${input.image.slice(0, 80)}"`,
      { field: "image" },
    );
  }
  if (input.runtime !== "qemu") return;
  if (input.image && !QEMU_IMAGE_NAME.test(input.image)) {
    throw new DomainError(
      "VALIDATION_FAILED",
      `a qemu image is the name of a guest on the host (lower-case letters, digits, . _ -; e.g. nvi-busybox), not a path: "${input.image}"`,
      { field: "image" },
    );
  }
  if (input.memoryMiB < QEMU_MIN_MEMORY_MIB)
    throw new DomainError("VALIDATION_FAILED", `a VM needs at least ${QEMU_MIN_MEMORY_MIB} MiB of memory`, {
      field: "memoryMiB",
    });
}

/** The host to launch on: the one asked for (checked), or the least loaded online host of the subnet's cloud with the runtime. */
async function placeInstance(ctx: Ctx, cloudId: string, input: z.infer<typeof LaunchInstanceInput>) {
  const now = ctx.clock();
  if (input.hostId) {
    const host = await ctx.db.host.findFirst({ where: { id: input.hostId, orgId: ctx.actor.orgId } });
    if (!host) throw new DomainError("NOT_FOUND", "host not found", { field: "hostId" });
    if (host.cloudId !== cloudId)
      throw new DomainError("VALIDATION_FAILED", `host ${host.name} is not in the subnet's cloud`, { field: "hostId" });
    const status = hostStatus(host.lastSeenAt, now);
    if (status !== "online")
      throw new DomainError(
        "HOST_UNAVAILABLE",
        `host ${host.name} is ${status} (last heartbeat ${host.lastSeenAt.toISOString()})`,
        { field: "hostId" },
      );
    const problem = runtimeProblem(input.runtime, storedFacts(host.facts), input.image);
    if (problem)
      throw new DomainError("VALIDATION_FAILED", problem, {
        field: input.runtime !== "netns" && !input.image ? "image" : "runtime",
      });
    return host;
  }
  const hosts = await ctx.db.host.findMany({
    where: { orgId: ctx.actor.orgId, cloudId },
    include: { _count: { select: { instances: true } } },
  });
  const fit = hosts
    .filter(
      (h) =>
        hostStatus(h.lastSeenAt, now) === "online" &&
        runtimeProblem(input.runtime, storedFacts(h.facts), input.image) === null,
    )
    .sort((a, b) => a._count.instances - b._count.instances || a.name.localeCompare(b.name));
  const chosen = fit[0];
  if (!chosen) {
    if (input.runtime !== "netns" && !input.image)
      throw new DomainError("VALIDATION_FAILED", `a ${input.runtime} instance needs an image`, { field: "image" });
    throw new DomainError(
      "HOST_UNAVAILABLE",
      `no online host in the subnet's cloud offers the ${input.runtime} runtime (${hosts.length} host(s) enrolled)`,
      { field: "hostId" },
    );
  }
  return chosen;
}

/**
 * Launches into one subnet queue on its row lock (that is what keeps addresses unique), so under a
 * burst a transaction may wait for its turn longer than Prisma's defaults (2 s / 5 s) allow.
 */
const LAUNCH_TX = { maxWait: 20_000, timeout: 30_000 } as const;

const LAUNCH_STEPS = ["allocate an address", "start on the host", "plug into the VEB", "program the TSC"];

/**
 * Launch: checks everything it can up front (subnet, host, runtime, quota, address), then in one
 * transaction allocates the address, creates the instance (pending) and its operation (the outbox
 * record); the job is sent after commit, or by the worker's relay once Redis answers again, and the
 * answer is the operation either way. Bad input changes nothing.
 */
export async function launchInstance(
  ctx: Ctx,
  queue: OperationQueue,
  raw: z.input<typeof LaunchInstanceInput>,
): Promise<{ instance: InstanceDto; operationId: OperationId }> {
  const input = LaunchInstanceInput.parse(raw);
  assertScope(ctx.actor.scopes, "instances", "write");
  const orgId = ctx.actor.orgId;
  if (input.idempotencyKey) {
    const prior = await ctx.db.operation.findUnique({
      where: { orgId_idempotencyKey: { orgId, idempotencyKey: input.idempotencyKey } },
    });
    if (prior) {
      const existing = await ctx.db.instance.findFirst({ where: { id: prior.targetId, orgId }, include: withHost });
      if (existing) {
        await dispatchIfUnqueued(ctx, queue, prior.id); // committed before, its job perhaps never sent
        return { instance: instanceDto(existing), operationId: asId("operation", prior.id) };
      }
    }
  }
  const subnet = await ctx.db.subnet.findFirst({ where: { id: input.subnetId, orgId } });
  if (!subnet) throw new DomainError("NOT_FOUND", "subnet not found", { field: "subnetId" });
  checkVmInput(input);
  checkContainerInput(input);
  const guest = await resolveGuestConfig(ctx, input.runtime, input);
  const host = await placeInstance(ctx, subnet.cloudId, input);
  const count = await ctx.db.instance.count({ where: { orgId, status: { not: "terminated" } } });
  if (count >= INSTANCE_LIMITS.perOrganization)
    throw new DomainError(
      "QUOTA_EXCEEDED",
      `the organization already has ${count} instances (limit ${INSTANCE_LIMITS.perOrganization}); terminate some first`,
      { field: "name" },
    );
  const id = ctx.newId("instance");
  try {
    const result = await ctx.db.$transaction(async (tx) => {
      const { address } = await allocateAddress(tx, orgId, subnet.id, id, input.address);
      const row = await tx.instance.create({
        data: {
          id,
          orgId,
          vpcId: subnet.vpcId,
          subnetId: subnet.id,
          hostId: host.id,
          name: input.name,
          runtime: input.runtime,
          image: input.image ?? null,
          ...containerColumns(input),
          cpus: input.cpus,
          memoryMiB: input.memoryMiB,
          address,
          mac: instanceMac(id),
          createdBy: ctx.actor.email,
          labels: input.labels,
        },
        include: withHost,
      });
      await storeContainerEnv(tx, ctx, id, input);
      await saveGuestConfig(tx, ctx, id, guest);
      const steps: OperationStep[] = LAUNCH_STEPS.map((s, i) => ({
        name: s,
        status: i === 0 ? "done" : "pending",
        at: i === 0 ? ctx.clock().toISOString() : null,
        detail: i === 0 ? address : null,
      }));
      const op = await createOperation(tx, ctx, {
        kind: "instance.launch",
        targetType: "instance",
        targetId: id,
        steps,
        idempotencyKey: input.idempotencyKey ?? null,
      });
      await recordAudit(tx, ctx, subjectOf(ctx.actor), {
        action: "instance.launch",
        targetType: "instance",
        targetId: id,
        after: {
          name: input.name,
          runtime: input.runtime,
          host: host.name,
          address,
          subnetId: subnet.id,
          ...guestAuditOf(guest),
        },
      });
      return { instance: instanceDto(row), operationId: op.id };
    }, LAUNCH_TX);
    await dispatchOperation(ctx, queue, { id: result.operationId, kind: "instance.launch", attempts: 0 });
    return result;
  } catch (e) {
    if (isUniqueViolation(e))
      throw new DomainError("DUPLICATE_NAME", `an instance named ${input.name} already exists`, { field: "name" });
    throw e;
  }
}

/** Terminate: the operation stops the instance on its host, unplugs it, releases its address. */
export async function terminateInstance(
  ctx: Ctx,
  queue: OperationQueue,
  input: z.infer<typeof InstanceRef>,
): Promise<{ instance: InstanceDto; operationId: OperationId }> {
  assertScope(ctx.actor.scopes, "instances", "write");
  const found = await ctx.db.instance.findFirst({
    where: { id: input.instanceId, orgId: ctx.actor.orgId },
    include: withHost,
  });
  if (!found) throw notFound("instance");
  if (found.status === "terminated")
    throw new DomainError("INSTANCE_STATE", `instance ${found.name} is already terminated`);
  const result = await ctx.db.$transaction(async (tx) => {
    const running = await tx.operation.findFirst({
      where: {
        orgId: ctx.actor.orgId,
        targetId: found.id,
        kind: "instance.terminate",
        status: { in: ["queued", "running"] },
      },
    });
    if (running) return { instance: instanceDto(found), operationId: asId("operation", running.id), fresh: false };
    const row = await tx.instance.update({
      where: { id: found.id },
      data: { status: "terminating" },
      include: withHost,
    });
    const steps: OperationStep[] = ["remove from the TSC", "remove from the host", "release the address"].map((s) => ({
      name: s,
      status: "pending",
      at: null,
      detail: null,
    }));
    const op = await createOperation(tx, ctx, {
      kind: "instance.terminate",
      targetType: "instance",
      targetId: found.id,
      steps,
      idempotencyKey: null,
    });
    await recordAudit(tx, ctx, subjectOf(ctx.actor), {
      action: "instance.terminate",
      targetType: "instance",
      targetId: found.id,
      before: { status: found.status, address: found.address },
    });
    return { instance: instanceDto(row), operationId: op.id, fresh: true };
  });
  if (result.fresh)
    await dispatchOperation(ctx, queue, { id: result.operationId, kind: "instance.terminate", attempts: 0 });
  else await dispatchIfUnqueued(ctx, queue, result.operationId);
  return { instance: result.instance, operationId: result.operationId };
}

export async function listInstances(ctx: Ctx, input: z.infer<typeof ListInstancesInput> = {}): Promise<InstanceDto[]> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const rows = await ctx.db.instance.findMany({
    where: { orgId: ctx.actor.orgId, ...(input.vpcId ? { vpcId: input.vpcId } : {}), status: { not: "terminated" } },
    include: withHost,
    orderBy: { createdAt: "asc" },
  });
  return rows.map(instanceDto);
}

export async function getInstance(ctx: Ctx, input: z.infer<typeof InstanceRef>): Promise<InstanceDto> {
  assertScope(ctx.actor.scopes, "instances", "read");
  const row = await ctx.db.instance.findFirst({
    where: { id: input.instanceId, orgId: ctx.actor.orgId },
    include: withHost,
  });
  if (!row) throw notFound("instance");
  return instanceDto(row);
}
