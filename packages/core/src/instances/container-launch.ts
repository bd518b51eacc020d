import {
  CommandArgs,
  ContainerEnv,
  imageRegistryOf,
  type HostCommandBody,
  type InstanceRuntime,
  type InstanceSpec,
  type RegistryPull,
} from "@nvi/contracts";
import type { DbTx } from "@nvi/db";
import { z } from "zod";
import type { CoreDeps } from "../context.ts";
import { DomainError } from "../errors.ts";
import { openSecret, sealSecret } from "../secrets/sealed.ts";
import { openRegistryPassword } from "../clouds/registries.ts";

/**
 * What a launch adds for a container (issue 17, item 6): its command as argv and its environment.
 * The names are kept on the instance (shown); the values, which may be secrets, are sealed in their
 * own row (`instance_envs`) and opened only to build the start command for the instance's host.
 */
export const ContainerLaunchFields = {
  /** a container's command as argv (no shell); omitted: the image's own */
  command: CommandArgs.optional(),
  /** a container's environment variables; their values are never returned */
  env: ContainerEnv.optional(),
};
type Fields = { runtime: InstanceRuntime; command?: string[] | undefined; env?: Record<string, string> | undefined };

export const ENV_PURPOSE = "instance env";

/** A command or an environment is for containers only: anything else is refused, naming the field. */
export function checkContainerInput(input: Fields): void {
  if (input.runtime === "docker") return;
  if (input.command !== undefined)
    throw new DomainError("VALIDATION_FAILED", "command: only a docker instance takes a command", { field: "command" });
  if (Object.keys(input.env ?? {}).length > 0)
    throw new DomainError("VALIDATION_FAILED", "env: only a docker instance takes environment variables", {
      field: "env",
    });
}

/** The instance row's container columns. */
export function containerColumns(input: Fields): { commandArgs: string[]; envNames: string[] } {
  return { commandArgs: input.command ?? [], envNames: Object.keys(input.env ?? {}).sort() };
}

/** Seals the environment's values into the instance's own row (nothing stored when there is none). */
export async function storeContainerEnv(tx: DbTx, deps: CoreDeps, instanceId: string, input: Fields): Promise<void> {
  const env = input.env ?? {};
  if (Object.keys(env).length === 0) return;
  await tx.instanceEnv.create({
    data: { instanceId, sealed: sealSecret(deps, ENV_PURPOSE, instanceId, JSON.stringify(env)) },
  });
}

/** The environment as launched, opened (only for the start command). */
export async function openContainerEnv(deps: CoreDeps, instanceId: string): Promise<Record<string, string> | null> {
  const row = await deps.db.instanceEnv.findUnique({ where: { instanceId } });
  if (!row) return null;
  return z.record(z.string(), z.string()).parse(JSON.parse(openSecret(deps, ENV_PURPOSE, instanceId, row.sealed)));
}

/**
 * What the start (or resume) command adds to a container's spec: its argv, its environment, and,
 * when the image names the registry its cloud is set up with, that registry and its account (the
 * agent pulls only then; an image from anywhere else must already be on the host).
 */
export async function withContainerExtras(
  deps: CoreDeps,
  inst: { id: string; runtime: InstanceRuntime; image: string | null; commandArgs: string[]; hostId: string },
  spec: InstanceSpec,
): Promise<InstanceSpec> {
  if (inst.runtime !== "docker") return spec;
  const out: InstanceSpec = { ...spec, command: null };
  if (inst.commandArgs.length > 0) out.args = inst.commandArgs;
  const env = await openContainerEnv(deps, inst.id);
  if (env) out.env = env;
  const registry = await registryFor(deps, inst.hostId, inst.image);
  if (registry) out.registry = registry;
  return out;
}

async function registryFor(deps: CoreDeps, hostId: string, image: string | null): Promise<RegistryPull | null> {
  const named = image ? imageRegistryOf(image) : null;
  if (!named) return null;
  const host = await deps.db.host.findUnique({
    where: { id: hostId },
    select: { cloud: { select: { registry: true } } },
  });
  const reg = host?.cloud.registry;
  if (!reg || reg.server !== named) return null;
  const password = reg.sealedPassword ? openRegistryPassword(deps, reg.cloudId, reg.sealedPassword) : null;
  return {
    server: reg.server,
    ...(reg.username ? { username: reg.username } : {}),
    ...(password ? { password } : {}),
  };
}

/** The stored command without what it carried only for the agent: environment values and the registry's password. */
export function scrubSecrets(payload: unknown): unknown {
  if (typeof payload !== "object" || payload === null || !("spec" in payload)) return payload;
  const spec = payload.spec;
  if (typeof spec !== "object" || spec === null) return payload;
  const { env, registry, ...rest } = spec as { env?: Record<string, string>; registry?: RegistryPull };
  const scrubbed: Record<string, unknown> = { ...rest };
  if (env) scrubbed.env = Object.fromEntries(Object.keys(env).map((k) => [k, ""]));
  if (registry) scrubbed.registry = { server: registry.server };
  return { ...payload, spec: scrubbed };
}

type Delivered = { id: string; body: HostCommandBody };

/**
 * Adds each container start's or resume's secrets to the commands handed to `hostId`'s agent: its
 * environment values (opened from `instance_envs`) and, for an image that names its cloud's
 * registry, that registry's account as it is now. The stored command holds neither (`scrubSecrets`).
 * A command whose secrets cannot be opened (the secrets key changed) is not handed out: it fails
 * with the reason, and the rest of the poll goes on.
 */
export async function withContainerSecrets(
  deps: CoreDeps,
  hostId: string,
  commands: Delivered[],
): Promise<{ ready: Delivered[]; failed: { id: string; error: string }[] }> {
  const ready: Delivered[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const c of commands) {
    const body = c.body;
    if ((body.kind !== "instance.start" && body.kind !== "instance.resume") || body.spec.runtime !== "docker") {
      ready.push(c);
      continue;
    }
    try {
      const { env: _names, registry: _server, ...spec } = body.spec;
      const env = await openContainerEnv(deps, spec.instanceId);
      const registry = await registryFor(deps, hostId, spec.image);
      ready.push({
        id: c.id,
        body: { ...body, spec: { ...spec, ...(env ? { env } : {}), ...(registry ? { registry } : {}) } },
      });
    } catch (e) {
      failed.push({ id: c.id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { ready, failed };
}
