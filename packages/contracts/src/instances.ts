import { z } from "zod";
import { CommandArgs, ContainerEnv, LogsOutcome, RegistryPull, LOG_LIMITS } from "./containers.ts";
import { idRef } from "./ids.ts";
import { ProbeOutcome, ProbeRequest, TraceOutcome, TraceRequest } from "./reachability.ts";

const isoDate = z.iso.datetime();

export const INSTANCE_RUNTIMES = ["netns", "docker", "qemu"] as const;
export const InstanceRuntime = z.enum(INSTANCE_RUNTIMES);
export type InstanceRuntime = z.infer<typeof InstanceRuntime>;

/**
 * An instance's name: lower-case letters, digits and `-`, not at either end. The source text is
 * what the console's `<input pattern>` uses, so it is written for the `v` flag browsers compile
 * patterns with (a `-` inside a class escaped); the server checks the same pattern.
 */
export const INSTANCE_NAME_PATTERN = "[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?";
export const INSTANCE_NAME = new RegExp(`^(?:${INSTANCE_NAME_PATTERN})$`, "v");

/**
 * A qemu instance's `image` names a guest in the host's image directory (the agent's
 * NVI_IMAGE_DIR): `<dir>/<name>/vmlinuz` + `<dir>/<name>/initrd`, as `infra/images/build-guest.sh`
 * makes them. A name, never a path: the console cannot point a VM at arbitrary host files.
 */
export const QEMU_IMAGE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/**
 * A docker instance's `image`: a reference in Docker's own grammar (distribution/reference:
 * `[host[:port]/]path[:tag][@digest]`, lower-case path components, at most 255 characters of name).
 * Anything else (`--privileged`, `../../etc/passwd`) is refused by the console and again by the
 * agent before it reaches `docker`'s argv.
 */
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
export const DOCKER_IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);

export function isDockerImageReference(image: string): boolean {
  const name = image.split("@")[0]!.replace(/:[\w][\w.-]{0,127}$/, "");
  return name.length <= 255 && DOCKER_IMAGE_REFERENCE.test(image);
}

/**
 * Why "Can it reach…?" cannot send a probe from this instance now, or null when it can: a running
 * namespace or container, or a running VM whose guest runs qemu-guest-agent (issue 17, bug 4). A VM
 * is "running" once its guest answered; before that it is booting. `guestsWithAgent` are the guests
 * the VM's host reports running the agent (HostImages.qemuGuestAgent); undefined: not known here
 * (the console's check knows, and says so).
 */
export function probeSourceProblem(
  instance: { runtime: InstanceRuntime; status: string; image: string | null },
  guestsWithAgent?: readonly string[],
): string | null {
  if (instance.runtime === "qemu" && instance.status === "starting")
    return "booting: its guest has not answered yet, so nothing can be sent from it";
  if (instance.status !== "running") return `${instance.status}: a probe is sent from a running instance`;
  if (
    instance.runtime === "qemu" &&
    guestsWithAgent !== undefined &&
    (instance.image === null || !guestsWithAgent.includes(instance.image))
  )
    return `its guest (${instance.image ?? "no image"}) has no agent (qemu-guest-agent) to send a probe from; probe towards it from another instance`;
  return null;
}

/**
 * The status as people read it: a VM that is starting is booting its guest (the agent reports it
 * started only once the guest answered), so it is not offered as running before it can answer.
 */
export function instanceStatusLabel(instance: { runtime: InstanceRuntime; status: string }): string {
  return instance.runtime === "qemu" && instance.status === "starting" ? "booting" : instance.status;
}

/**
 * How long the agent waits for a disk-image guest (the Debian cloud image) to answer before it
 * fails the start: under TCG on a loaded host its boot takes minutes (infra/images/README.md).
 */
export const QEMU_DISK_GUEST_BOOT_MS = 600_000;
/** How long the console waits for an agent's answer to a VM's start or resume: the guest's boot, and a margin. */
export const QEMU_START_COMMAND_TIMEOUT_MS = QEMU_DISK_GUEST_BOOT_MS + 60_000;

/** Below this a Debian kernel with a busybox initramfs does not boot reliably. */
export const QEMU_MIN_MEMORY_MIB = 64;

export const INSTANCE_STATUSES = [
  "pending",
  "starting",
  "running",
  "stopping",
  "stopped",
  "failed",
  "terminating",
  "terminated",
] as const;
export const InstanceStatus = z.enum(INSTANCE_STATUSES);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

export const InstanceDto = z.object({
  id: idRef("instance"),
  name: z.string(),
  vpcId: idRef("vpc"),
  subnetId: idRef("subnet"),
  hostId: idRef("host"),
  hostName: z.string(),
  cloudId: idRef("cloud"),
  runtime: InstanceRuntime,
  image: z.string().nullable(),
  /** a container's command as argv (null: the image's own) */
  command: z.array(z.string()).nullable(),
  /** the names of a container's environment variables; their values are never returned */
  envNames: z.array(z.string()),
  cpus: z.number().int(),
  memoryMiB: z.number().int(),
  address: z.string(),
  mac: z.string(),
  status: InstanceStatus,
  statusReason: z.string().nullable(),
  ofport: z.number().int().nullable(),
  labels: z.record(z.string(), z.string()),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type InstanceDto = z.infer<typeof InstanceDto>;

/** How many of an organization's instances are in each state (`instance.counts`: the Overview's tile). */
export const InstanceCounts = z.object({
  /** instances not terminated */
  total: z.number().int(),
  /** how many are in each state (terminated ones not counted); a state with none is absent */
  byStatus: z.partialRecord(InstanceStatus, z.number().int()),
});
export type InstanceCounts = z.infer<typeof InstanceCounts>;

export const OPERATION_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export const OperationStatus = z.enum(OPERATION_STATUSES);
export type OperationStatus = z.infer<typeof OperationStatus>;

export const OperationStep = z.object({
  name: z.string(),
  status: z.enum(["pending", "running", "done", "failed", "skipped"]),
  at: isoDate.nullable(),
  detail: z.string().nullable(),
});
export type OperationStep = z.infer<typeof OperationStep>;

export const OperationDto = z.object({
  id: idRef("operation"),
  kind: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  /** the target's name (an instance's, a VPC's…), or as it was if it is gone; null if it has none */
  targetName: z.string().nullable(),
  status: OperationStatus,
  progress: z.number().int().min(0).max(100),
  steps: z.array(OperationStep),
  error: z.string().nullable(),
  requestedBy: z.string(),
  /** who asked to cancel: with status cancelled, who cancelled it; with running, the cancellation waits for the next safe step */
  cancelledBy: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
});
export type OperationDto = z.infer<typeof OperationDto>;

/**
 * What the agent is asked to do. `instance.start` creates (or re-creates) the instance on the host
 * and plugs it into the VEB (a launch); `instance.remove` unplugs and deletes it; `instance.stop`
 * stops a launched instance's workload and keeps what it owns (namespace or container, address,
 * MAC); `instance.resume` starts a stopped instance again from its spec (re-created if the host
 * lost it) and answers with its VEB port. All are idempotent on the agent's side (a retried command
 * finds the work done and says so). The union only grows. Agents from this version on answer a
 * kind they do not know with a failure naming it (the rest of the poll still runs); older agents
 * refuse the whole poll, so against those new kinds ship agent-first.
 */
/**
 * An OpenSSH public key as `authorized_keys` holds it: type, base64 body, optional comment, on one
 * line (a newline would let one "key" add options or further keys to the guest's file).
 */
export const SSH_PUBLIC_KEY =
  /^(?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}(?: [^\r\n\0]{0,200})?$/;
export const SshPublicKey = z.string().max(16_384).regex(SSH_PUBLIC_KEY, "must be an OpenSSH public key on one line");
export const MAX_SSH_KEYS = 32;
/** cloud-init's user-data is read whole by the guest; 64 Ki characters is more than any cloud-config needs */
export const MAX_USER_DATA_CHARS = 65_536;

export const InstanceSpec = z.object({
  instanceId: z.string(),
  name: z.string(),
  runtime: InstanceRuntime,
  image: z.string().nullable(),
  /** legacy (a shell string, run with `sh -c`): no longer sent (always null) nor read; `args` replaced it */
  command: z.string().nullable(),
  /** a container's command as argv, after the image (no shell); absent: the image's own */
  args: CommandArgs.optional(),
  /** a container's environment; only inside the start command, never on the container's labels */
  env: ContainerEnv.optional(),
  /** a container whose image is absent is pulled from here (with this account); only inside the start command */
  registry: RegistryPull.optional(),
  cpus: z.number().int(),
  memoryMiB: z.number().int(),
  mac: z.string(),
  address: z.string(),
  prefixLen: z.number().int(),
  gateway: z.string(),
  /** a disk-image VM's authorized SSH keys (cloud-init's `public-keys`); other runtimes ignore them */
  sshKeys: z.array(SshPublicKey).max(MAX_SSH_KEYS).optional(),
  /** a disk-image VM's cloud-init user-data, handed over as it is; other runtimes ignore it */
  userData: z.string().max(MAX_USER_DATA_CHARS).nullable().optional(),
});
export type InstanceSpec = z.infer<typeof InstanceSpec>;

export const HostCommandBody = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("instance.start"), spec: InstanceSpec }),
  z.object({ kind: z.literal("instance.remove"), instanceId: z.string(), runtime: InstanceRuntime }),
  /** a live probe sent from inside the instance (read-only; answers the console's reachability check) */
  z.object({ kind: z.literal("instance.probe"), probe: ProbeRequest }),
  /** a packet traced through the VEB's actual flows (`ofproto/trace`; read-only, nothing is sent) */
  z.object({ kind: z.literal("veb.trace"), trace: TraceRequest }),
  z.object({ kind: z.literal("instance.stop"), instanceId: z.string(), runtime: InstanceRuntime }),
  z.object({ kind: z.literal("instance.resume"), spec: InstanceSpec }),
  /** a container's last lines of output (read-only; answers the console's logs view) */
  z.object({
    kind: z.literal("instance.logs"),
    instanceId: z.string(),
    runtime: InstanceRuntime,
    lines: z.number().int().min(1).max(LOG_LIMITS.maxLines),
  }),
]);
export type HostCommandBody = z.infer<typeof HostCommandBody>;

export const HostCommandDto = z.object({ id: z.string(), body: HostCommandBody });
export type HostCommandDto = z.infer<typeof HostCommandDto>;

export const CommandResult = z.object({
  ok: z.boolean(),
  /** instance.start / instance.resume: the VEB port the instance got; instance.stop: the port it keeps, if any */
  ofport: z.number().int().positive().optional(),
  /** instance.probe: what the instance saw */
  probe: ProbeOutcome.optional(),
  /** veb.trace: what the VEB would do with the packet */
  trace: TraceOutcome.optional(),
  /** instance.logs: the container's last lines */
  logs: LogsOutcome.optional(),
  error: z.string().max(2000).optional(),
});
export type CommandResult = z.infer<typeof CommandResult>;

/** What the agent finds on its VEB (sent with each command poll): drift is computed against it. */
export const InstanceInventoryItem = z.object({
  instanceId: z.string(),
  ofport: z.number().int(),
  mac: z.string(),
  address: z.string(),
});
export type InstanceInventoryItem = z.infer<typeof InstanceInventoryItem>;

/** `instance.launch` / `terminate` / `stop` / `start` / `restart`: the instance, and the operation that carries the change. */
export const LaunchedDto = z.object({ instance: InstanceDto, operationId: z.string() });
export type LaunchedDto = z.infer<typeof LaunchedDto>;

/** How many in-flight commands an agent's poll names at most (the rest are skipped by id if handed out again). */
export const MAX_RUNNING_COMMANDS = 2000;
/** The agent's command poll (`POST /agent/commands`): what it has on its VEB, and what it should do. */
export const CommandPollRequest = z.object({
  inventory: z.array(InstanceInventoryItem).max(5000),
  /**
   * the agent's first poll after it (re)started or lost the console: every command handed to it and
   * not answered comes again at once (it may have died running them), not after the redelivery timer
   */
  resume: z.boolean().optional(),
  /**
   * the commands the agent still has queued or running (it runs several at once): not handed out
   * again while it says so, however long they take (a VM that boots for minutes)
   */
  running: z.array(z.string().max(64)).max(MAX_RUNNING_COMMANDS).optional(),
});
export type CommandPollRequest = z.infer<typeof CommandPollRequest>;
export const CommandPollDto = z.object({ commands: z.array(HostCommandDto), missing: z.array(z.string()) });
export type CommandPollDto = z.infer<typeof CommandPollDto>;

/** The agent's report of one command's outcome (`POST /agent/commands/{commandId}/result`). */
export const CommandResultRequest = z.object({ commandId: idRef("hostCommand"), result: CommandResult });
export type CommandResultRequest = z.infer<typeof CommandResultRequest>;
export const RecordedDto = z.object({ recorded: z.literal(true) });
