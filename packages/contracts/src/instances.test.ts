import { describe, expect, it } from "vitest";
import { isDockerImageReference } from "./instances.ts";

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
    expect(Date.now() - started).toBeLessThan(100);
  });
});
