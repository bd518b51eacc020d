import {
  CommandArgs,
  ContainerEnv,
  imageRegistryOf,
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

/** The registry and account a start pulls `image` with: only one that names its host's cloud's registry. */
export async function registryFor(deps: CoreDeps, hostId: string, image: string | null): Promise<RegistryPull | null> {
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
