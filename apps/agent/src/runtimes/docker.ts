import { MAX_REPORTED_IMAGES, isDockerImageReference, type InstanceSpec } from "@nvi/contracts";
import { guardPort } from "../port-guard.ts";
import { localStreamsRunner, type StreamsRunner } from "../runner.ts";
import { pullImage, withEnvFile } from "./docker-pull.ts";
import { listBindings, ofportOf, plugPort, unplugPort, type Runner } from "../veb.ts";
import { hostIfName } from "./netns.ts";

/**
 * Containers through the Docker Engine (its CLI, so DOCKER_HOST is honoured): `--network none`,
 * `--init`, the CPU and memory limits, then our own veth into the container's network namespace,
 * plugged into the VEB like any instance port. Idempotent: a running container that is already
 * plugged is answered with its port; one whose process changed (restarted: Docker gave it a new
 * network namespace) is re-plugged. An image that is not on the host is pulled when it names the
 * registry the cloud is set up with (docker-pull.ts); otherwise it must already be there. The image
 * is checked against the reference grammar here as well as in the console, and every argv ends its
 * options with `--` before it, so no value can become a `docker` option. The command is argv after
 * the image (no shell); the environment goes through an env-file, never argv.
 */
export const containerName = (instanceId: string): string => `nvi-${instanceId}`;

export async function inspect(run: Runner, name: string): Promise<{ pid: number; running: boolean } | null> {
  try {
    const out = (await run("docker", ["inspect", "-f", "{{.State.Pid}} {{.State.Running}}", name])).trim().split(" ");
    return { pid: Number(out[0]), running: out[1] === "true" };
  } catch {
    return null;
  }
}

/** The container's eth0 exists (in its current network namespace)? */
async function hasEth0(run: Runner, pid: number): Promise<boolean> {
  return run("nsenter", ["-t", String(pid), "-n", "ip", "link", "show", "eth0"]).then(
    () => true,
    () => false,
  );
}

async function plugContainer(run: Runner, bridge: string, spec: InstanceSpec, pid: number): Promise<number> {
  const port = hostIfName(spec.instanceId);
  const plugged = (await listBindings(run, bridge)).find((b) => b.instanceId === spec.instanceId);
  if (plugged) await unplugPort(run, bridge, plugged.port);
  await run("ip", ["link", "del", port]).catch(() => undefined);
  const peer = `${port.slice(0, 12)}c`;
  await run("ip", ["link", "add", port, "mtu", "1500", "type", "veth", "peer", "name", peer]);
  // the container already runs: guard our end before its end exists in there (plugPort guards again, a no-op)
  await guardPort(run, bridge, port);
  await run("ip", ["link", "set", peer, "netns", String(pid)]);
  const inside = (...args: string[]) => run("nsenter", ["-t", String(pid), "-n", "ip", ...args]);
  await inside("link", "set", peer, "name", "eth0");
  await inside("link", "set", "eth0", "address", spec.mac, "mtu", "1500", "up");
  await inside("addr", "add", `${spec.address}/${spec.prefixLen}`, "dev", "eth0");
  await inside("route", "add", "default", "via", spec.gateway, "dev", "eth0");
  await run("ip", ["link", "set", port, "up"]);
  await plugPort(run, bridge, { port, instanceId: spec.instanceId, mac: spec.mac, ip: spec.address });
  return ofportOf(run, port);
}

/** `hostId` marks the container as this host's: a Docker daemon shared by several agents (the lab) must not be re-plugged by the wrong one. */
/** The spec as it rides on the container's labels: without the environment's values and the registry's account. */
export function labelSpec(spec: InstanceSpec): InstanceSpec {
  const { env: _env, registry: _registry, ...rest } = spec;
  return rest;
}

export async function startDocker(
  run: Runner,
  bridge: string,
  spec: InstanceSpec,
  hostId: string,
  streams: StreamsRunner = localStreamsRunner,
): Promise<{ ofport: number }> {
  if (!spec.image) throw new Error("a container needs an image");
  // the console checks this too; the agent does not take its word for it (claims are not facts)
  if (!isDockerImageReference(spec.image))
    throw new Error(`refusing image ${JSON.stringify(spec.image.slice(0, 80))}: not an image reference`);
  const name = containerName(spec.instanceId);
  let state = await inspect(run, name);
  if (!state) {
    const images = await run("docker", ["image", "inspect", "--", spec.image]).catch(() => null);
    if (images === null) {
      if (!spec.registry)
        throw new Error(
          `image ${spec.image} is not on this host (it names no registry set up for this cloud: import or build it here first)`,
        );
      await pullImage(streams, spec.image, spec.registry);
    }
    // the spec rides on labels (its secrets left out), so a restarted container can be re-plugged without asking the console
    const labels = [
      `nvi.instance=${spec.instanceId}`,
      `nvi.host=${hostId}`,
      `nvi.spec=${JSON.stringify(labelSpec(spec))}`,
    ].flatMap((l) => ["--label", l]);
    const args = [
      "run",
      "-d",
      "--name",
      name,
      "--init",
      "--network",
      "none",
      "--restart",
      "unless-stopped",
      "--cpus",
      String(spec.cpus),
      "--memory",
      `${spec.memoryMiB}m`,
      ...labels,
    ];
    const image = spec.image;
    await withEnvFile(spec.env, (envOpts) => run("docker", [...args, ...envOpts, "--", image, ...(spec.args ?? [])]));
    state = await inspect(run, name);
  } else if (!state.running) {
    await run("docker", ["start", name]);
    state = await inspect(run, name);
  }
  if (!state?.running || !state.pid) throw new Error(`container ${name} is not running (docker logs ${name})`);
  const plugged = (await listBindings(run, bridge)).find((b) => b.instanceId === spec.instanceId);
  if (plugged && (await hasEth0(run, state.pid))) return { ofport: await ofportOf(run, plugged.port) };
  return { ofport: await plugContainer(run, bridge, spec, state.pid) };
}

/**
 * Stop: `docker stop` (its --init forwards SIGTERM; killed after 5 s). The container, its labels
 * and spec stay; its network namespace, and with it our veth, is gone, so the VEB port is removed
 * too (a start plugs a fresh one). A container that no longer exists has nothing to stop.
 */
export async function stopDocker(run: Runner, bridge: string, instanceId: string): Promise<{ ofport?: number }> {
  const name = containerName(instanceId);
  if (await inspect(run, name)) await run("docker", ["stop", "-t", "5", name]);
  const plugged = (await listBindings(run, bridge)).find((b) => b.instanceId === instanceId);
  if (plugged) await unplugPort(run, bridge, plugged.port);
  await run("ip", ["link", "del", hostIfName(instanceId)]).catch(() => undefined);
  return {};
}

/** Start a stopped container: `docker start` and a fresh plug, or a new container from the spec if the host lost it (startDocker does both). */
export const resumeDocker = startDocker;

export async function removeDocker(run: Runner, bridge: string, instanceId: string): Promise<void> {
  const plugged = (await listBindings(run, bridge)).find((b) => b.instanceId === instanceId);
  if (plugged) await unplugPort(run, bridge, plugged.port);
  await run("docker", ["rm", "-f", containerName(instanceId)]).catch(() => undefined);
  await run("ip", ["link", "del", hostIfName(instanceId)]).catch(() => undefined);
}

/**
 * Containers that Docker restarted (crash, `docker restart`, host reboot) come back in a new
 * network namespace without our eth0: plug them again from the spec on their labels. Run on every
 * command poll; returns the instances it re-plugged.
 */
export async function replugRestartedContainers(
  run: Runner,
  bridge: string,
  hostId: string,
  o: { busy?: (instanceId: string) => boolean } = {},
): Promise<string[]> {
  const listed = await run("docker", ["ps", "--filter", `label=nvi.host=${hostId}`, "--format", "{{.Names}}"]).catch(
    () => "",
  );
  const done: string[] = [];
  for (const name of listed.split("\n").filter(Boolean)) {
    const state = await inspect(run, name);
    if (!state?.running || !state.pid || (await hasEth0(run, state.pid))) continue;
    const raw = (await run("docker", ["inspect", "-f", '{{index .Config.Labels "nvi.spec"}}', name])).trim();
    const spec = JSON.parse(raw) as InstanceSpec;
    // a command of this instance is queued or running: it plugs (or removes) the container itself
    if (o.busy?.(spec.instanceId)) continue;
    await plugContainer(run, bridge, spec, state.pid);
    done.push(spec.instanceId);
  }
  return done;
}

/**
 * The images this host can run a container from, as `repository:tag` (what the console's launch
 * form offers). Untagged and dangling images, and anything not in Docker's reference grammar, are
 * left out; sorted, at most `MAX_REPORTED_IMAGES`. Empty when Docker does not answer.
 */
export async function listDockerImages(run: Runner): Promise<string[]> {
  const out = await run("docker", ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).catch(() => "");
  return dockerImagesOf(out);
}

export function dockerImagesOf(listing: string): string[] {
  const refs = listing
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.includes("<none>") && isDockerImageReference(l));
  return [...new Set(refs)].sort().slice(0, MAX_REPORTED_IMAGES);
}
