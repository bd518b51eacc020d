import type { HostDto } from "@nvi/contracts";
import { describe, expect, it } from "vitest";
import { imageChoices, imagePlaceholder } from "./launch-images.ts";

const host = (id: string, cloudId: string, status: HostDto["status"], docker: string[], qemu: string[] = []) =>
  ({
    id,
    cloudId,
    status,
    facts: { runtimes: { docker: true, qemu: qemu.length > 0, netns: true }, images: { docker, qemu } },
  }) as unknown as HostDto;

const hosts = [
  host("host_a", "cld_1", "online", ["local/busybox:latest", "nginx:1.27"], ["nvi-busybox"]),
  host("host_b", "cld_1", "online", ["local/busybox:latest", "redis:7"]),
  host("host_c", "cld_1", "offline", ["postgres:16"]),
  host("host_d", "cld_2", "online", ["other:1"]),
];

describe("the launch form's image choices (issue 17, bug 2)", () => {
  it("are the chosen host's images", () => {
    expect(imageChoices(hosts, { runtime: "docker", hostId: "host_b", cloudId: "cld_1" })).toEqual([
      "local/busybox:latest",
      "redis:7",
    ]);
    expect(imageChoices(hosts, { runtime: "qemu", hostId: "host_a", cloudId: "cld_1" })).toEqual(["nvi-busybox"]);
  });

  it("with automatic placement, those of the online hosts of the subnet's cloud, each once", () => {
    expect(imageChoices(hosts, { runtime: "docker", hostId: "", cloudId: "cld_1" })).toEqual([
      "local/busybox:latest",
      "nginx:1.27",
      "redis:7",
    ]);
    expect(imageChoices(hosts, { runtime: "netns", hostId: "", cloudId: "cld_1" })).toEqual([]);
  });

  it("the hint names a real image, never one no host has", () => {
    expect(imagePlaceholder("docker", ["local/busybox:latest", "redis:7"])).toBe(
      "local/busybox:latest (or one of 1 more)",
    );
    expect(imagePlaceholder("docker", [])).toMatch(/no images reported/);
    expect(imagePlaceholder("docker", [])).not.toMatch(/alpine/);
  });
});
