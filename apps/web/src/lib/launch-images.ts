import type { HostDto, InstanceRuntime } from "@nvi/contracts";

/**
 * What the launch form offers for "Image" (issue 17, bug 2: it suggested `alpine:3.19`, which no lab
 * host had): the images the chosen host reports, or with automatic placement those of every online
 * host of the subnet's cloud that runs the runtime, sorted, each once.
 */
export function imageChoices(
  hosts: readonly HostDto[],
  o: { runtime: InstanceRuntime; hostId: string; cloudId: string | null },
): string[] {
  const runtime = o.runtime;
  if (runtime === "netns") return [];
  const candidates = o.hostId
    ? hosts.filter((h) => h.id === o.hostId)
    : hosts.filter(
        (h) => h.status === "online" && h.facts.runtimes[runtime] && (o.cloudId === null || h.cloudId === o.cloudId),
      );
  return [...new Set(candidates.flatMap((h) => h.facts.images[runtime]))].sort();
}

/** The image field's hint: an image the hosts really have, or what to do when they report none. */
export function imagePlaceholder(runtime: InstanceRuntime, choices: readonly string[]): string {
  if (choices[0]) return `${choices[0]}${choices.length > 1 ? ` (or one of ${choices.length - 1} more)` : ""}`;
  return runtime === "docker"
    ? "no images reported: load one on the host (docker load / pull)"
    : "no guests reported: build one into the host's image directory";
}
