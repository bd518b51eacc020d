import { describe, expect, it } from "vitest";
import { isDockerImageReference, probeSourceProblem } from "./instances.ts";

describe("docker image references", () => {
  it("accepts what docker accepts", () => {
    for (const ok of [
      "alpine",
      "alpine:3.20",
      "nvi-web:latest",
      "library/nginx",
      "docker.io/library/nginx:1.27",
      "localhost:5000/team/app:v1.2_3",
      "registry.example.com/a/b/c",
      "[::1]:5000/x",
      `busybox@sha256:${"a".repeat(64)}`,
      "my_app__x.y-z",
    ]) {
      expect(isDockerImageReference(ok), ok).toBe(true);
    }
  });

  it("refuses options, paths and everything else that is not a reference", () => {
    for (const bad of [
      "--privileged",
      "-v/:/host",
      "../../etc/passwd",
      "/etc/passwd",
      "./x",
      "Alpine",
      "alpine:",
      "alpine:-x",
      "a b",
      "alpine;rm -rf /",
      "a\u0000b",
      "",
      ":tag",
      "a//b",
      `x@sha256:abc`,
      "x".repeat(256),
    ]) {
      expect(isDockerImageReference(bad), bad).toBe(false);
    }
  });

  it("answers long adversarial input at once (no catastrophic backtracking)", () => {
    const started = Date.now();
    for (const s of ["a-".repeat(100) + "!", "a.".repeat(100) + "/", "a__".repeat(70) + "A"]) isDockerImageReference(s);
    expect(Date.now() - started).toBeLessThan(1_000); // backtracking would take seconds; this leaves room for a loaded machine
  });
});

describe("who can send a probe (issue 17, bug 4)", () => {
  const vm = (status: string, image: string | null = "nvi-debian12") => ({ runtime: "qemu" as const, status, image });
  it("a running namespace or container; a running VM whose guest its host reports running the agent", () => {
    expect(probeSourceProblem({ runtime: "netns", status: "running", image: null }, [])).toBeNull();
    expect(probeSourceProblem({ runtime: "docker", status: "running", image: "busybox" }, [])).toBeNull();
    expect(probeSourceProblem(vm("running"), ["nvi-debian12"])).toBeNull();
  });
  it("not a VM whose guest has no agent, nor one still booting, nor anything not running: each says why", () => {
    expect(probeSourceProblem(vm("running", "nvi-busybox"), ["nvi-debian12"])).toBe(
      "its guest (nvi-busybox) has no agent (qemu-guest-agent) to send a probe from; probe towards it from another instance",
    );
    expect(probeSourceProblem(vm("running", null), ["nvi-debian12"])).toMatch(/^its guest \(no image\) has no agent/);
    expect(probeSourceProblem(vm("starting"), ["nvi-debian12"])).toBe(
      "booting: its guest has not answered yet, so nothing can be sent from it",
    );
    expect(probeSourceProblem({ runtime: "netns", status: "stopped", image: null })).toBe(
      "stopped: a probe is sent from a running instance",
    );
  });
  it("where the host's report is not known, a running VM is offered (the console's check knows and says why)", () => {
    expect(probeSourceProblem(vm("running", "nvi-busybox"))).toBeNull();
  });
});
