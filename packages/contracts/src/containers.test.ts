import { describe, expect, it } from "vitest";
import {
  CONTAINER_LIMITS,
  CommandArgs,
  ContainerEnv,
  imageRegistryOf,
  registryServerOf,
  stripControlSequences,
} from "./containers.ts";
import { HostCommandBody, InstanceSpec } from "./instances.ts";

describe("a container's environment", () => {
  it("takes names of letters, digits and _, and values without NUL or line breaks", () => {
    expect(ContainerEnv.safeParse({ A: "1", _b2: "x y = z", PATH: "" }).success).toBe(true);
    for (const bad of [{ "1A": "x" }, { "A-B": "x" }, { "A B": "x" }, { "": "x" }, { É: "x" }])
      expect(ContainerEnv.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    for (const value of ["a\0b", "a\nB=c", "a\rb"]) expect(ContainerEnv.safeParse({ A: value }).success).toBe(false);
  });

  it("is bounded in count, value size and total size", () => {
    const many = Object.fromEntries(Array.from({ length: CONTAINER_LIMITS.envVars + 1 }, (_, i) => [`V${i}`, "x"]));
    expect(ContainerEnv.safeParse(many).success).toBe(false);
    expect(ContainerEnv.safeParse({ A: "x".repeat(CONTAINER_LIMITS.envValueChars + 1) }).success).toBe(false);
    const wide = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`V${i}`, "x".repeat(4000)]));
    expect(ContainerEnv.safeParse(wide).success).toBe(false);
  });
});

describe("a container's command", () => {
  it("is argv: an array of words, the first not empty, no NUL, bounded", () => {
    expect(CommandArgs.safeParse(["sh", "-c", "echo $HOME; ls"]).success).toBe(true);
    for (const bad of ["sleep 1", [], ["", "x"], ["echo", "a\0b"], Array.from({ length: 65 }, () => "x")])
      expect(CommandArgs.safeParse(bad).success, JSON.stringify(bad).slice(0, 40)).toBe(false);
    expect(CommandArgs.safeParse(Array.from({ length: 5 }, () => "x".repeat(4000))).success).toBe(false);
  });
});

describe("registries", () => {
  it("reduces a URL to host[:port] and refuses anything else", () => {
    expect(registryServerOf("https://Registry.Example.com:5000/")).toBe("registry.example.com:5000");
    expect(registryServerOf("127.0.0.1:5000")).toBe("127.0.0.1:5000");
    for (const bad of ["a b", "r.example/path", "r.example:99999", "-r.example", "", "user@r.example"])
      expect(registryServerOf(bad), bad).toBeNull();
  });

  it("finds the registry an image names, as Docker does (none for Docker Hub's short names)", () => {
    expect(imageRegistryOf("127.0.0.1:5000/team/app:1")).toBe("127.0.0.1:5000");
    expect(imageRegistryOf("localhost/app")).toBe("localhost");
    expect(imageRegistryOf("library/alpine:3")).toBeNull();
    expect(imageRegistryOf("alpine")).toBeNull();
  });
});

describe("terminal output", () => {
  it("loses colours, cursor moves, titles and other controls, keeping tabs and lines", () => {
    const raw = "\u001b[31mred\u001b[0m\tok\r\n\u001b]0;pwned\u0007next\u001b[2J\u001b[H\u0007\u0000end\u009b31m!";
    expect(stripControlSequences(raw)).toBe("red\tok\nnextend!");
  });
});

describe("the agent protocol", () => {
  it("carries argv, env and the registry in the spec, and the logs command", () => {
    const spec = InstanceSpec.parse({
      instanceId: "inst_1",
      name: "a",
      runtime: "docker",
      image: "r.example/app:1",
      command: null,
      args: ["sleep", "1"],
      env: { A: "1" },
      registry: { server: "r.example", username: "u", password: "p" },
      cpus: 1,
      memoryMiB: 64,
      mac: "0a:00:00:00:00:01",
      address: "10.0.0.2",
      prefixLen: 24,
      gateway: "10.0.0.1",
    });
    expect(spec.args).toEqual(["sleep", "1"]);
    expect(
      HostCommandBody.safeParse({ kind: "instance.logs", instanceId: "inst_1", runtime: "docker", lines: 1001 })
        .success,
    ).toBe(false);
  });
});
