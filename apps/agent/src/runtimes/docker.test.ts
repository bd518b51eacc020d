import { describe, expect, it } from "vitest";
import { instanceSpec } from "../test-support/spec.ts";
import { startDocker } from "./docker.ts";

const spec = instanceSpec({ runtime: "docker", image: "alpine:3.20" });

/** A host where no container exists yet and every docker call is recorded (and fails after `run`, which is all we look at). */
function recorder() {
  const calls: string[][] = [];
  const run = (cmd: string, args: readonly string[]) => {
    calls.push([cmd, ...args]);
    if (cmd === "docker" && args[0] === "inspect") return Promise.reject(new Error("no such container"));
    if (cmd === "docker" && args[0] === "image") return Promise.resolve("[]");
    return Promise.reject(new Error("stop here"));
  };
  return { calls, run };
}

describe("docker runtime argv", () => {
  it("refuses an image that is not a reference before running anything", async () => {
    for (const image of ["--privileged", "../../etc/passwd", "-v/:/host"]) {
      const { calls, run } = recorder();
      await expect(startDocker(run, "br-veb", { ...spec, image }, "host_1")).rejects.toThrow(/not an image reference/);
      expect(calls.filter(([cmd, sub]) => cmd === "docker" && (sub === "run" || sub === "image"))).toEqual([]);
    }
  });

  it("ends docker's options with -- before the image", async () => {
    const { calls, run } = recorder();
    await startDocker(run, "br-veb", spec, "host_1").catch(() => undefined);
    const image = calls.find(([, sub]) => sub === "image")!;
    expect(image.slice(-2)).toEqual(["--", "alpine:3.20"]);
    const started = calls.find(([, sub]) => sub === "run")!;
    expect(started.slice(-2)).toEqual(["--", "alpine:3.20"]);
  });
});
